"""The program the host directs: the scene every viewer shows (host and co-hosts choose it).

The choice is stored on the Space (SQLite or Redis, through `SpaceStore.set_scene`)
and sent as a `scene` event, so live viewers switch at once, a viewer resuming its
stream replays it from the log, and a late joiner reads it from the snapshot.
Checks and the write run without an await between them: a co-host demoted a
moment ago cannot slip a scene in.
"""

from __future__ import annotations

from spaces_desktop.domain import is_moderator
from spaces_desktop.domain.scenes import NEEDS_PERSON, SceneKind
from spaces_desktop.errors import Conflict, Forbidden, InvalidInput
from spaces_desktop.protocol import EventType, SceneView
from spaces_desktop.server.store import ParticipantRow, SpaceRow
from spaces_desktop.server.store_api import EventFanout, SpaceStore


def scene_of(space: SpaceRow) -> SceneView:
    """The stored scene of a Space (Auto when none was chosen or the stored one is unreadable)."""
    if not space.scene:
        return SceneView()
    try:
        return SceneView.model_validate_json(space.scene)
    except ValueError:
        return SceneView()


def set_scene(
    store: SpaceStore,
    bus: EventFanout,
    caller: ParticipantRow,
    kind: SceneKind,
    participant_id: str | None,
) -> SceneView:
    """Stores and announces the scene; raises with a sentence when the caller or the scene is wrong."""
    current = store.participant(caller.id) or caller  # the role as stored now, not as authenticated
    if not is_moderator(current.role):
        raise Forbidden("Only the host and co-hosts choose the scene.", code="not_a_moderator")
    space = store.space(caller.space_id)
    if space is None or space.status.value != "live":
        raise Conflict("Scenes can be chosen while the Space is live.", code="space_not_live")
    if kind in NEEDS_PERSON and not participant_id:
        raise InvalidInput("Say whom this scene shows: participant_id.", code="scene_needs_person")
    if participant_id is not None:
        subject = store.participant(participant_id)
        if (
            subject is None
            or subject.space_id != space.id
            or subject.status.value != "active"
            or subject.role.value == "listener"
            or subject.backstage
        ):
            raise InvalidInput("That person is not on stage.", code="not_on_stage")
    scene = SceneView(kind=kind, participant_id=participant_id, by=caller.id)
    stored = scene.model_dump_json()
    if space.scene != stored:
        store.set_scene(space.id, stored)
        bus.publish(space.id, EventType.SCENE, {"scene": scene.model_dump(mode="json"), "by": caller.id})
    return scene


__all__ = ["scene_of", "set_scene"]
