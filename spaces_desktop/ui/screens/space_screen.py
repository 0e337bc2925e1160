"""Inside a Space: the stage in the centre, people on the right, controls below.

GUI thread only. The screen renders the controller's state; every button goes
through the controller, which talks to the engine. Audio levels are polled
from the engine's mixer (thread-safe) ten times a second for the stage.
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from spaces_desktop.domain import CameraSource
from spaces_desktop.domain.state import DeviceProblem, DeviceSlot, DeviceStatus, Reaction, SessionState
from spaces_desktop.ui.qt.devices import DeviceDirectory, DeviceOption, live_options
from spaces_desktop.ui.qt.theme import Theme
from spaces_desktop.ui.screens.show_desk import ShowDesk
from spaces_desktop.ui.viewmodels.session_controller import SessionController
from spaces_desktop.ui.viewmodels.space_model import (
    Action,
    Controls,
    DeviceBannerView,
    banner_for,
    controls_for,
    device_banner_for,
    listener_count_text,
    status_badge_for,
)
from spaces_desktop.ui.widgets.banner import ConnectionBanner
from spaces_desktop.ui.widgets.control_bar import ControlBar
from spaces_desktop.ui.widgets.device_banner import DeviceBanner
from spaces_desktop.ui.widgets.elided_label import ElidedLabel
from spaces_desktop.ui.widgets.people_panel import PeoplePanel
from spaces_desktop.ui.widgets.plain import PlainLabel, set_plain_tooltip
from spaces_desktop.ui.widgets.reactions import ReactionOverlay

LEVELS_MS = 100
MESSAGE_MS = 8000


class StageLike(Protocol):
    """What the Space screen needs of the stage widget (spaces_desktop.ui.stage.StageView)."""

    def set_state(self, state: SessionState) -> None: ...

    def set_levels(self, levels: dict[str, float]) -> None: ...

    def set_layout_mode(self, mode: str) -> None: ...

    def shutdown(self) -> None: ...


class SpaceScreen(QWidget):
    leave_requested = Signal()
    end_requested = Signal()
    retry_requested = Signal()
    layout_changed = Signal(str)

    def __init__(
        self,
        theme: Theme,
        controller: SessionController,
        stage: QWidget,
        *,
        layout_mode: str = "speaker",
        directory: DeviceDirectory | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._theme = theme
        self.controller = controller
        self.directory = directory
        self.stage = stage
        self._seen_reactions: set[Reaction] = set()
        self._first_state = True
        self._device_problems: tuple[DeviceProblem, ...] = ()

        # Header: title, live badge, listeners, share link.
        self.header = QFrame()
        self.header.setObjectName("header")
        logo = PlainLabel()
        logo.setPixmap(theme.icon("spaces", theme.palette.accent, 22).pixmap(22, 22))
        logo.setAccessibleName(self.tr("Spaces"))
        self.title = ElidedLabel("")
        self.title.setProperty("role", "title")
        # As wide as the title when there is room; a long one (up to 140 characters) ends in "…".
        self.title.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.live_badge = PlainLabel(self.tr("LIVE"))
        self.live_badge.setProperty("role", "badge")
        self.video_chip = PlainLabel(self.tr("Video"))
        self.video_chip.setProperty("role", "chip")
        self.listeners_button = QToolButton()
        self.listeners_button.setObjectName("flat")
        self.listeners_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.listeners_button.setIcon(theme.icon("users", theme.palette.muted, 18))
        self.listeners_button.setCheckable(True)
        self.listeners_button.setChecked(True)
        self.listeners_button.setToolTip(self.tr("Show or hide the people in this Space"))
        self.listeners_button.setAccessibleDescription(self.tr("Show or hide the people in this Space"))
        self.share_button = QToolButton()
        self.share_button.setObjectName("flat")
        self.share_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.share_button.setIcon(theme.icon("link", theme.palette.muted, 18))
        self.share_button.setText(self.tr("Copy link"))
        self.share_button.setToolTip(self.tr("Copy the Space's share link"))
        self.share_button.setAccessibleName(self.tr("Copy link"))
        self.share_button.setAccessibleDescription(self.tr("Copy the Space's share link"))
        header = QHBoxLayout(self.header)
        header.setContentsMargins(16, 10, 12, 10)
        header.setSpacing(10)
        header.addWidget(logo)
        header.addWidget(self.title)
        header.addWidget(self.live_badge)
        header.addWidget(self.video_chip)
        header.addStretch(1)
        header.addWidget(self.listeners_button)
        header.addWidget(self.share_button)

        self.banner = ConnectionBanner(theme)
        self.device_banner = DeviceBanner(theme)

        # Centre: the stage with floating reactions and a message strip over it.
        self.overlay = ReactionOverlay()
        self.message = PlainLabel()
        self.message.setProperty("role", "note")
        self.message.setWordWrap(True)
        self.message.setMaximumWidth(560)
        self.message.hide()
        self._message_timer = QTimer(self)
        self._message_timer.setSingleShot(True)
        self._message_timer.timeout.connect(self.message.hide)
        centre = QWidget()
        grid = QGridLayout(centre)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(stage, 0, 0)
        grid.addWidget(self.overlay, 0, 0)
        grid.addWidget(self.message, 0, 0, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom)

        self.show_desk = ShowDesk(self, controller, stage)
        self.people = PeoplePanel(theme)
        self.controls = ControlBar(theme)
        self.controls.set_layout_mode(layout_mode)

        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(0)
        body.addWidget(centre, 1)
        body.addWidget(self.show_desk.side)
        body.addWidget(self.people)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.header)
        layout.addWidget(self.banner)
        layout.addWidget(self.device_banner)
        layout.addWidget(self.show_desk.scene_bar)
        layout.addLayout(body, 1)
        layout.addWidget(self.controls)

        c = self.controls
        c.mic_clicked.connect(controller.toggle_mic)
        c.camera_clicked.connect(lambda: controller.toggle_camera(CameraSource.MAIN))
        c.second_camera_clicked.connect(lambda: controller.toggle_camera(CameraSource.SECOND))
        c.hand_clicked.connect(controller.toggle_hand)
        c.request_clicked.connect(controller.toggle_request)
        c.reaction_picked.connect(controller.react)
        c.layout_chosen.connect(self._layout_chosen)
        c.leave_clicked.connect(self.leave_requested)
        c.end_clicked.connect(self.end_requested)
        c.device_chosen.connect(controller.set_device)
        c.set_device_provider(self._device_options)
        self.banner.retry_clicked.connect(self.retry_requested)
        self.device_banner.action_clicked.connect(self._device_banner_clicked)
        self.people.action_requested.connect(lambda a, pid: controller.moderate(Action(a), pid))
        self.people.access_changed.connect(controller.set_access)
        self.listeners_button.toggled.connect(self.people.setVisible)
        self.share_button.clicked.connect(self._copy_link)
        controller.state_changed.connect(self.set_state)
        controller.pending_changed.connect(self._pending_changed)
        controller.action_failed.connect(self._action_failed)
        pin_requested = getattr(stage, "pin_requested", None)
        if pin_requested is not None:
            pin_requested.connect(controller.pin)
        big_changed = getattr(stage, "big_changed", None)
        if big_changed is not None:
            big_changed.connect(controller.set_big)

        self._levels = QTimer(self)
        self._levels.setInterval(LEVELS_MS)
        self._levels.timeout.connect(self._poll_levels)
        self._stage().set_layout_mode(layout_mode)
        self.set_state(controller.state)

    def _stage(self) -> StageLike:
        stage: StageLike = self.stage  # type: ignore[assignment]
        return stage

    def sizeHint(self) -> QSize:
        return QSize(1180, 760)

    # --- state ---

    def set_state(self, state: SessionState) -> None:
        space = state.space
        self.title.setText(space.title if space else "")
        set_plain_tooltip(self.title, space.title if space else "")
        self.video_chip.setVisible(bool(space and space.video_enabled))
        self._show_badge(state)
        self.listeners_button.setText(listener_count_text(state))
        self.listeners_button.setAccessibleName(listener_count_text(state))
        self.share_button.setEnabled(bool(space and space.share_link))
        self.banner.set_view(banner_for(state))
        if state.device_problems != self._device_problems and self.directory is not None:
            self.directory.refresh()  # a device went or came: the menus offer what is there now
        self._device_problems = state.device_problems
        self.device_banner.set_view(device_banner_for(state))
        self.controls.set_controls(self._controls(state), self.controller.pending)
        self.people.set_state(state)
        self._stage().set_state(state)
        self.show_desk.set_state(state)
        self._float_reactions(state)

    def _show_badge(self, state: SessionState) -> None:
        badge = status_badge_for(state)
        self.live_badge.setVisible(badge.visible)
        self.live_badge.setText(badge.text)
        if self.live_badge.property("role") != badge.role:
            self.live_badge.setProperty("role", badge.role)
            self.live_badge.style().unpolish(self.live_badge)
            self.live_badge.style().polish(self.live_badge)

    def _controls(self, state: SessionState) -> Controls:
        return controls_for(state, has_second_camera=bool(self.controller.devices.second_camera))

    # --- devices ---

    def _device_options(self, slot: DeviceSlot) -> tuple[list[DeviceOption], str]:
        catalog = self.directory.catalog if self.directory is not None else None
        return live_options(slot, catalog), self.controller.device_in_use(slot)

    def _device_banner_clicked(self, view: DeviceBannerView) -> None:
        if view.status is DeviceStatus.BACK:
            self.controller.turn_back_on(view.slot)
            return
        menu = self.controls.device_menu(view.slot)
        button = self.device_banner.action
        menu.popup(button.mapToGlobal(button.rect().bottomLeft()))

    def _pending_changed(self) -> None:
        pending = self.controller.pending
        self.controls.set_controls(self._controls(self.controller.state), pending)
        self.people.set_pending(pending)

    def _float_reactions(self, state: SessionState) -> None:
        fresh = [r for r in state.reactions if r not in self._seen_reactions]
        self._seen_reactions = set(state.reactions)
        if self._first_state:
            # Reactions sent before we arrived are history, not news.
            self._first_state = not state.reactions and state.space is None
            return
        for reaction in fresh:
            member = state.members.get(reaction.participant_id)
            self.overlay.add(reaction.emoji, member.display_name if member else "")

    # --- feedback ---

    def _action_failed(self, key: str, message: str) -> None:
        action = key.split(":", 1)[0]
        if action == "access":
            self.people.access.set_view(self.people.access.view)  # back to what the backend has
            self.people.show_error(message)
        elif action in {a.value for a in Action}:
            self.people.show_error(message)
        else:
            self.show_message(message)

    def show_message(self, message: str) -> None:
        self.message.setText(message)
        self.message.show()
        self.message.raise_()
        self._message_timer.start(MESSAGE_MS)

    def _copy_link(self) -> None:
        space = self.controller.state.space
        if space is None:
            return
        clipboard = QGuiApplication.clipboard()
        if clipboard is not None:
            clipboard.setText(space.share_link)
        self.show_message(self.tr("Link copied: %1").replace("%1", space.share_link))

    def _layout_chosen(self, mode: str) -> None:
        self._stage().set_layout_mode(mode)
        self.controls.set_layout_mode(mode)
        self.layout_changed.emit(mode)

    # --- levels ---

    def start(self) -> None:
        """Start polling levels (when the screen is shown)."""
        self._levels.start()

    def stop(self) -> None:
        """Stops polling and the stage's conversion worker (before the engine goes away)."""
        self._levels.stop()
        self.stage.shutdown()  # type: ignore[attr-defined]

    def _poll_levels(self) -> None:
        session = getattr(self.controller.engine, "session", None)
        mixer = getattr(session, "mixer", None)
        if mixer is None:
            return
        try:
            levels = dict(mixer.levels())
        except Exception:  # the session may be closing under us
            return
        self._stage().set_levels(levels)
