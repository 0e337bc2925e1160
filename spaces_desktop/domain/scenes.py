"""Scenes: the program the host directs for everyone (pure; no Qt, no I/O).

A scene is a kind plus, for some kinds, whose picture it is about. The host or a
co-host picks one; the backend stores it and sends it as a `scene` event, so every
desktop viewer and the web player resolve the same program from the same state.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class SceneKind(StrEnum):
    AUTO = "auto"  # the active speaker enlarged (the stage director decides)
    PERSON = "person"  # one person enlarged, whoever talks
    PRODUCT = "product"  # the product camera alone, full ("cut")
    PRODUCT_PIP = "product_pip"  # the product camera with its owner picture-in-picture
    SIDE_BY_SIDE = "side_by_side"  # a person and their product camera side by side
    GRID = "grid"  # everyone the same size


SCENE_ORDER: tuple[SceneKind, ...] = (
    SceneKind.AUTO,
    SceneKind.PERSON,
    SceneKind.PRODUCT,
    SceneKind.PRODUCT_PIP,
    SceneKind.SIDE_BY_SIDE,
    SceneKind.GRID,
)
"""The scene bar's order; hotkeys 1–6 follow it."""

NEEDS_PERSON = frozenset({SceneKind.PERSON})
"""Kinds that must name a participant."""

LAYOUT_OF: dict[SceneKind, str] = {
    SceneKind.AUTO: "speaker",
    SceneKind.PERSON: "speaker",
    SceneKind.PRODUCT: "product",
    SceneKind.PRODUCT_PIP: "pip",
    SceneKind.SIDE_BY_SIDE: "side_by_side",
    SceneKind.GRID: "grid",
}
"""The stage layout (ui/stage/layout.py modes) each scene shows."""


@dataclass(frozen=True)
class Scene:
    kind: SceneKind = SceneKind.AUTO
    participant_id: str | None = None
    """Whom the scene is about (a person; for product scenes, whose product camera); None: the stage."""
    by: str | None = None
    """Who chose it (a moderator's participant id)."""

    @property
    def layout(self) -> str:
        return LAYOUT_OF[self.kind]


AUTO_SCENE = Scene()


@dataclass(frozen=True)
class Program:
    """What a scene resolves to on one state: a layout and who is featured."""

    layout: str
    featured: str | None


def resolve(
    scene: Scene,
    on_stage: list[str],
    product_owners: list[str],
    director_choice: str | None,
) -> Program:
    """The program for `scene` given who is on stage (in order), who shows a product camera, and the director.

    A scene about someone no longer on stage falls back gracefully: a person scene to
    Auto, a product scene to the first product camera, else Auto.
    """
    auto = director_choice if director_choice in on_stage else (on_stage[0] if on_stage else None)
    if scene.kind is SceneKind.GRID:
        return Program("grid", auto)
    if scene.kind is SceneKind.PERSON:
        if scene.participant_id in on_stage:
            return Program("speaker", scene.participant_id)
        return Program("speaker", auto)
    if scene.kind in (SceneKind.PRODUCT, SceneKind.PRODUCT_PIP, SceneKind.SIDE_BY_SIDE):
        owner = scene.participant_id if scene.participant_id in product_owners else None
        if owner is None and auto in product_owners:
            owner = auto
        if owner is None and product_owners:
            owner = product_owners[0]
        if owner is None:
            return Program("speaker", auto)
        return Program(scene.layout, owner)
    return Program("speaker", auto)
