"""The scene bar: the host and co-hosts choose what everyone sees (GUI thread).

Six buttons in `SCENE_ORDER` (hotkeys 1–6), the scene on air checked, and an
"Audience view" toggle that makes our own stage show exactly what listeners see.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QButtonGroup, QFrame, QHBoxLayout, QToolButton, QWidget

from spaces_desktop.domain.scenes import SCENE_ORDER, SceneKind
from spaces_desktop.domain.state import SessionState
from spaces_desktop.ui.viewmodels.director_text import SCENE_NAMES
from spaces_desktop.ui.viewmodels.i18n import translate
from spaces_desktop.ui.viewmodels.shortcuts import SCENES
from spaces_desktop.ui.widgets.plain import PlainLabel


def _tr(text: str) -> str:
    return translate("SceneBar", text)


class SceneBar(QFrame):
    scene_chosen = Signal(object)
    """A SceneKind."""
    audience_view_toggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sceneBar")
        self.setAccessibleName(_tr("Scenes"))
        self.buttons: dict[SceneKind, QToolButton] = {}
        self._group = QButtonGroup(self)
        self._group.setExclusive(True)
        row = QHBoxLayout(self)
        row.setContentsMargins(12, 6, 12, 6)
        row.setSpacing(6)
        heading = PlainLabel(_tr("Scene"))
        heading.setProperty("role", "muted")
        row.addWidget(heading)
        for kind, shortcut in zip(SCENE_ORDER, SCENES, strict=True):
            button = QToolButton()
            button.setCheckable(True)
            button.setText(f"{shortcut.keys}  {_tr(SCENE_NAMES[kind])}")
            button.setToolTip(f"{_tr(shortcut.label)} ({shortcut.keys})")
            button.setAccessibleName(_tr(SCENE_NAMES[kind]))
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            button.clicked.connect(lambda _=False, k=kind: self.scene_chosen.emit(k))
            self._group.addButton(button)
            self.buttons[kind] = button
            row.addWidget(button)
        # The scene on air stands out (the app's theme styles plain tool buttons only).
        self.setStyleSheet(
            "QFrame#sceneBar QToolButton:checked {"
            " background-color: palette(highlight); color: palette(highlighted-text); }"
        )
        row.addStretch(1)
        self.on_air = PlainLabel("")
        self.on_air.setProperty("role", "muted")
        row.addWidget(self.on_air)
        self.audience = QToolButton()
        self.audience.setCheckable(True)
        self.audience.setText(_tr("Audience view"))
        self.audience.setToolTip(_tr("Show on your stage exactly what the audience sees"))
        self.audience.toggled.connect(self.audience_view_toggled)
        row.addWidget(self.audience)
        self.director = QToolButton()
        self.director.setCheckable(True)
        self.director.setText(_tr("Director"))
        self.director.setToolTip(_tr("Show why the big tile switches, and tune how eagerly"))
        row.addWidget(self.director)

    def set_state(self, state: SessionState) -> None:
        scene = state.scene
        self.buttons[scene.kind].setChecked(True)
        subject = state.members.get(scene.participant_id or "")
        name = _tr(SCENE_NAMES[scene.kind])
        text = _tr("On air: %1").replace(
            "%1", name if subject is None else f"{name} · {subject.display_name}"
        )
        self.on_air.setText(text)
        self.buttons[SceneKind.PERSON].setEnabled(bool(state.pinned or state.stage))
