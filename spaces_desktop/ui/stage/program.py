"""Which layout and which featured person this viewer's stage shows (pure; any thread).

The host's scene is the program for everyone. Auto leaves each viewer's own layout
choice in place; any other scene replaces it. A viewer's pin is theirs alone: it
features the pinned person until they unpin (the "back to program" key). The
"audience view" is what a listener sees: the program, no pin, no backstage.
"""

from __future__ import annotations

from dataclasses import dataclass

from spaces_desktop.domain import CameraSource
from spaces_desktop.domain.scenes import SceneKind, resolve
from spaces_desktop.domain.state import Member, SessionState
from spaces_desktop.session.frames import TileKey


@dataclass(frozen=True)
class StageChoice:
    layout: str
    featured: str | None
    directed: bool
    """Whether a scene chosen by the host decides (else the viewer's own layout or pin)."""


def choose(
    state: SessionState,
    own_layout: str,
    on_stage: list[Member],
    fresh: set[TileKey],
    *,
    audience_view: bool = False,
) -> StageChoice:
    ids = [m.id for m in on_stage]
    video = state.space is None or state.space.video_enabled
    products = [
        m.id for m in on_stage if video and m.second_camera_on and (m.id, CameraSource.SECOND) in fresh
    ]
    host = state.space.host_id if state.space else None
    director = state.stage if state.stage in ids else (host if host in ids else None)
    pinned = None if audience_view else (state.pinned if state.pinned in ids else None)
    if pinned is not None:
        layout = own_layout if state.scene.kind is SceneKind.AUTO else "speaker"
        return StageChoice(layout, pinned, directed=False)
    program = resolve(state.scene, ids, products, director)
    if state.scene.kind is SceneKind.AUTO:
        return StageChoice(own_layout, program.featured, directed=False)
    return StageChoice(program.layout, program.featured, directed=True)
