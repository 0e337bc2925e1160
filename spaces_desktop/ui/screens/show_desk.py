"""The show's controls on the Space screen (GUI thread): scene bar, hotkeys, director panel, green room.

Kept apart from space_screen.py: the screen adds `scene_bar` above the stage and
`side` next to it, and hands every state to `set_state`.
- host and co-hosts: the scene bar (hotkeys 1–6), the backstage list, the
  director panel (toggled from the scene bar), an "Audience view" preview;
- a speaker backstage: the green room's checks;
- everyone: 0 returns to the host's program (drops their own pin).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QVBoxLayout, QWidget

from spaces_desktop.domain import is_moderator
from spaces_desktop.domain.scenes import SCENE_ORDER, SceneKind
from spaces_desktop.domain.state import SessionState
from spaces_desktop.media.stage_director import StageDirectorSettings
from spaces_desktop.ui.screens.green_room import BackstageList, GreenRoomPanel
from spaces_desktop.ui.viewmodels.session_controller import SessionController
from spaces_desktop.ui.viewmodels.shortcuts import PROGRAM, SCENES
from spaces_desktop.ui.widgets.director_panel import DirectorPanel
from spaces_desktop.ui.widgets.scene_bar import SceneBar


class ShowDesk:
    def __init__(self, screen: QWidget, controller: SessionController, stage: QWidget) -> None:
        self._controller = controller
        self._stage = stage
        self.scene_bar = SceneBar()
        self.director = DirectorPanel()
        self.green_room = GreenRoomPanel(controller)
        self.backstage = BackstageList()
        self.side = QWidget()
        self.side.setObjectName("showSide")
        column = QVBoxLayout(self.side)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.green_room)
        column.addWidget(self.backstage)
        column.addWidget(self.director, 1)
        self.scene_bar.hide()
        self.director.hide()
        self.green_room.hide()
        self.backstage.hide()
        self.side.hide()

        self.scene_bar.scene_chosen.connect(self.choose)
        self.scene_bar.audience_view_toggled.connect(self._audience_view)
        self.scene_bar.director.toggled.connect(self._show_director)
        self.backstage.bring_on_stage.connect(controller.bring_on_stage)
        self.director.settings_changed.connect(self._tune)
        self.shortcuts: list[QShortcut] = []
        for kind, shortcut in zip(SCENE_ORDER, SCENES, strict=True):
            key = QShortcut(QKeySequence(shortcut.keys), screen)
            key.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            key.activated.connect(lambda k=kind: self.choose(k))
            self.shortcuts.append(key)
        back = QShortcut(QKeySequence(PROGRAM.keys), screen)
        back.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        back.activated.connect(controller.back_to_program)
        self.shortcuts.append(back)
        self._moderator = False

    def choose(self, kind: SceneKind) -> None:
        if self._moderator:
            self._controller.set_scene(kind)

    def set_state(self, state: SessionState) -> None:
        me = state.myself
        self._moderator = bool(me and is_moderator(me.role))
        backstage_me = bool(me and me.backstage and me.on_stage)
        self.scene_bar.setVisible(self._moderator)
        if self._moderator:
            self.scene_bar.set_state(state)
            self.backstage.set_state(state)
            self.director.set_state(state)
        else:
            self.backstage.hide()
            self.director.hide()
            self.scene_bar.director.setChecked(False)
            self.scene_bar.audience.setChecked(False)
        self.green_room.setVisible(backstage_me)
        if backstage_me:
            self.green_room.start()
        else:
            self.green_room.stop()
        self.side.setVisible(
            backstage_me
            or (self._moderator and (bool(state.backstage) or self.scene_bar.director.isChecked()))
        )

    def _show_director(self, on: bool) -> None:
        self.director.setVisible(on)
        self.set_state(self._controller.state)

    def _audience_view(self, on: bool) -> None:
        set_view = getattr(self._stage, "set_audience_view", None)
        if set_view is not None:
            set_view(on)

    def _tune(self, settings: StageDirectorSettings) -> None:
        self._controller.engine.set_director(settings)
