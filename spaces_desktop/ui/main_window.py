"""The main window: home, the Space, the end screen, menus and shortcuts (GUI thread).

Built by the composition root (``ui/app.py``) or by a test with an injected
engine, server URL, stage factory and device fakes. Nothing here waits on the
network: every engine call returns a future whose outcome comes back through
the GUI dispatcher.

Threads: everything here runs on the GUI thread. The engine is only driven
through its commands (futures on the engine's loop; settings too, via
``set_director``). Two callbacks run on the engine's thread and are wired once,
before anything calls them: ``engine.on_state`` (the controller's bridge, which
posts to the GUI thread) and ``frames.on_frame`` (the stage's ``frame_ready``,
thread-safe: it only schedules a repaint).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QMessageBox, QStackedWidget, QWidget

from spaces_desktop.devices.catalog import DeviceCatalog
from spaces_desktop.domain import CameraSource, Role
from spaces_desktop.domain.state import Connection, DeviceSlot, SessionState
from spaces_desktop.errors import DomainError
from spaces_desktop.session.frames import FrameBoard
from spaces_desktop.session.local_media import NONE, DeviceChoice
from spaces_desktop.session.port import EnginePort, ScheduledSpace
from spaces_desktop.ui.dialogs.invite_prompt import InvitePrompt
from spaces_desktop.ui.dialogs.join_dialog import JoinDialog
from spaces_desktop.ui.dialogs.overlay_dialog import OverlayDialog
from spaces_desktop.ui.dialogs.settings_dialog import SettingsDialog, SettingsValues
from spaces_desktop.ui.dialogs.setup_dialog import SetupDialog, SpaceSetup
from spaces_desktop.ui.qt.bridge import GuiDispatcher
from spaces_desktop.ui.qt.devices import (
    DeviceDirectory,
    LocalPreviewDevices,
    PreviewDevices,
    camera_options,
    default_index,
    microphone_options,
)
from spaces_desktop.ui.qt.notify import Notifier
from spaces_desktop.ui.qt.overlay_publisher import OverlayPublisher
from spaces_desktop.ui.qt.settings import AppSettings, DevicePrefs, ServerMode, director_settings
from spaces_desktop.ui.qt.theme import Theme
from spaces_desktop.ui.screens.ended_screen import EndedScreen
from spaces_desktop.ui.screens.home import HomeScreen
from spaces_desktop.ui.screens.space_screen import SpaceScreen
from spaces_desktop.ui.screens.waiting_screen import WaitingScreen
from spaces_desktop.ui.server_port import NO_BUILT_IN_SERVER, ServerPort
from spaces_desktop.ui.viewmodels import shortcuts
from spaces_desktop.ui.viewmodels.overlay_config import OverlayKind
from spaces_desktop.ui.viewmodels.session_controller import ENTER, SessionController
from spaces_desktop.ui.viewmodels.space_model import controls_for, end_view, waiting_text
from spaces_desktop.ui.viewmodels.upcoming import UpcomingModel
from spaces_desktop.ui.viewmodels.when import day_and_time
from spaces_desktop.ui.widgets.control_bar import LAYOUTS, PRODUCT_LAYOUTS
from spaces_desktop.ui.widgets.plain import window_title

log = logging.getLogger(__name__)

StageFactory = Callable[[FrameBoard], QWidget]
Confirm = Callable[[QWidget, str, str, str], bool]
"""(parent, title, text, confirm-button label) -> True to go ahead."""


def default_stage_factory(frames: FrameBoard) -> QWidget:
    from spaces_desktop.ui.stage import StageView

    return StageView(frames)


def ask(parent: QWidget, title: str, text: str, confirm_label: str) -> bool:
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle(title)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(title)
    box.setInformativeText(text)
    for label in box.findChildren(QLabel):  # the informative text has no format setter of its own
        label.setTextFormat(Qt.TextFormat.PlainText)
    go = box.addButton(confirm_label, QMessageBox.ButtonRole.DestructiveRole)
    go.setProperty("kind", "danger")
    box.addButton(QCoreApplication.translate("MainWindow", "Cancel"), QMessageBox.ButtonRole.RejectRole)
    box.exec()
    return box.clickedButton() is go


def devices_for(prefs: DevicePrefs, catalog: DeviceCatalog | None, label: str, video: bool) -> DeviceChoice:
    """The devices to bring into a Space: the saved picks when present, else the best available."""
    cameras = camera_options(catalog)
    mics = microphone_options(catalog)
    camera = cameras[default_index(cameras, prefs.camera)].spec if video else NONE
    second = prefs.second_camera if video and prefs.second_camera and prefs.second_camera != NONE else None
    microphone = mics[default_index(mics, prefs.microphone)].spec
    return DeviceChoice(camera=camera, second_camera=second, microphone=microphone, label=label)


class MainWindow(QMainWindow):
    screen_changed = Signal(str)
    """"home", "waiting", "space" or "ended"."""

    def __init__(
        self,
        engine: EnginePort,
        settings: AppSettings,
        theme: Theme,
        *,
        server_url: str | None = None,
        embedded: ServerPort | None = None,
        stage_factory: StageFactory = default_stage_factory,
        directory: DeviceDirectory | None = None,
        preview_devices: PreviewDevices | None = None,
        dispatcher: GuiDispatcher | None = None,
        confirm: Confirm = ask,
        apply_theme: Callable[[], None] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Spaces"))
        self.settings = settings
        self.theme = theme
        self.dispatcher = dispatcher or GuiDispatcher(self)
        self.fixed_server_url = server_url
        self.embedded = embedded
        self.embedded_url: str | None = None
        self.embedded_error: str | None = None
        self._embedded_lan = False
        self._embedded_switching = False
        self.stage_factory = stage_factory
        self.directory = directory or DeviceDirectory(dispatcher=self.dispatcher, parent=self)
        self.preview_devices = preview_devices or LocalPreviewDevices()
        self.confirm = confirm
        self.apply_theme = apply_theme
        engine.set_director(director_settings(settings.sensitivity))
        self.controller = SessionController(engine, self.dispatcher, parent=self)
        if settings.devices.speaker:
            self.controller.set_device(DeviceSlot.SPEAKER, settings.devices.speaker)
        self.upcoming = UpcomingModel(engine, settings, self.dispatcher, parent=self)
        self.overlays = OverlayPublisher(
            engine,
            load=lambda: settings.overlays(self._space_link()),
            save=lambda config: settings.keep_overlays(self._space_link(), config),
            frame_size=lambda: (self.controller.devices.width, self.controller.devices.height),
        )
        self.overlay_dialog: OverlayDialog | None = None
        self._overlay_link: str | None = None
        self.notifier = Notifier(theme.icon("spaces", theme.palette.accent, 64), self)
        self.setup_dialog: SetupDialog | None = None
        self.join_dialog: JoinDialog | None = None
        self.invite_prompt: InvitePrompt | None = None
        self.settings_dialog: SettingsDialog | None = None
        self.space_screen: SpaceScreen | None = None
        self._pending_setup: SpaceSetup | None = None
        self._reopening: str | None = None
        """The link of the Space being reopened as host."""
        self._starting: str | None = None
        """The link of the scheduled Space being started."""
        self._stopped_waiting = False
        self._was_invited = False

        self.stack = QStackedWidget()
        self.home = self._make_home()
        self.ended = EndedScreen(theme)
        self.waiting = WaitingScreen(theme)
        self.stack.addWidget(self.home)
        self.stack.addWidget(self.ended)
        self.stack.addWidget(self.waiting)
        self.waiting.cancel_requested.connect(self.stop_waiting)
        self.setCentralWidget(self.stack)
        self._build_menus()

        self.ended.home_requested.connect(self.go_home)
        c = self.controller
        c.state_changed.connect(self._on_state)
        c.entered.connect(self._entered)
        c.enter_failed.connect(self._enter_failed)
        c.left.connect(self.go_home)
        c.notice.connect(lambda text: self.statusBar().showMessage(text, 20000))
        c.pending_changed.connect(self._update_actions)
        c.scheduled.connect(self._scheduled)
        self.upcoming.changed.connect(self._show_upcoming)
        self.upcoming.due_soon.connect(self._remind)
        self.upcoming.failed.connect(lambda message: self.home.show_error(message))

        self._init_server()
        self.directory.refresh()
        self.resize(1180, 760)
        self.go_home()

    def _make_home(self) -> HomeScreen:
        home = HomeScreen(self.theme)
        home.set_display_name(self.settings.display_name)
        self._show_recent(home)
        home.start_requested.connect(self.open_setup)
        home.join_requested.connect(self.open_join)
        home.reopen_requested.connect(self.reopen)
        home.name_changed.connect(self._name_changed)
        home.server_changed.connect(self._server_changed)
        home.start_scheduled_requested.connect(self.start_scheduled)
        home.cancel_scheduled_requested.connect(self.cancel_scheduled)
        home.set_upcoming(self.upcoming.rows)
        return home

    def _restyle(self) -> None:
        """After a theme change: screens drawn with the old colours are built again."""
        old_home, link = self.home, self.home.link_edit.text()
        showing_home = self.stack.currentWidget() is old_home
        self.home = self._make_home()
        self.home.set_link(link)
        self.stack.insertWidget(0, self.home)
        self.stack.removeWidget(old_home)
        old_home.deleteLater()
        self._init_server()
        if showing_home:
            self.stack.setCurrentWidget(self.home)
        old_ended = self.ended
        self.ended = EndedScreen(self.theme)
        self.ended.home_requested.connect(self.go_home)
        self.stack.insertWidget(1, self.ended)
        if self.stack.currentWidget() is old_ended:
            self.go_home()
        self.stack.removeWidget(old_ended)
        old_ended.deleteLater()

    # --- server ---

    @property
    def server_url(self) -> str | None:
        """Where "Start a Space" creates it: a fixed URL, the configured server, or the built-in one."""
        if self.fixed_server_url:
            return self.fixed_server_url
        if self.settings.server_mode is ServerMode.URL:
            return self.settings.server_url or None
        return self.embedded_url

    def _init_server(self) -> None:
        if self.fixed_server_url:
            self.home.set_server(ServerMode.URL, self.fixed_server_url)
            for radio in (self.home.embedded_radio, self.home.network_radio, self.home.url_radio):
                radio.setEnabled(False)
            self.home.server_edit.setEnabled(False)
            self.home.set_server_status(self.tr("Using %1").replace("%1", self.fixed_server_url), ready=True)
            return
        self.home.set_server(self.settings.server_mode, self.settings.server_url)
        self._show_server_status()
        if self.settings.server_mode is not ServerMode.URL:
            self._start_embedded()

    @property
    def _hosting_for_network(self) -> bool:
        return self.settings.server_mode is ServerMode.NETWORK

    def _start_embedded(self) -> None:
        if self.embedded is None:
            self.embedded_error = NO_BUILT_IN_SERVER
            self._show_server_status()
            return
        if self.embedded_url or self.embedded_error or self._embedded_switching:
            return
        self._embedded_lan = self._hosting_for_network
        self.embedded.start(
            lambda url: self.dispatcher.post(lambda: self._embedded_ready(url)),
            lambda message: self.dispatcher.post(lambda: self._embedded_failed(message)),
            lan=self._embedded_lan,
        )

    def _switch_embedded(self) -> None:
        """Restarts the built-in server for the other audience, off the GUI thread (Janus stops first)."""
        embedded = self.embedded
        if embedded is None or self._embedded_switching:
            return
        self._embedded_switching = True
        self.embedded_url = None
        self.embedded_error = None
        self._show_server_status()

        def restart() -> None:  # its own thread
            embedded.stop()
            self.dispatcher.post(self._embedded_stopped)

        threading.Thread(target=restart, name="embedded-switch", daemon=True).start()

    def _embedded_stopped(self) -> None:
        self._embedded_switching = False
        if self.settings.server_mode is not ServerMode.URL:
            self._start_embedded()
        self._show_server_status()

    def _embedded_ready(self, url: str) -> None:
        self.embedded_url = url
        self._show_server_status()

    def _embedded_failed(self, message: str) -> None:
        self.embedded_error = message
        self._show_server_status()

    def _show_server_status(self) -> None:
        if self.fixed_server_url:
            return
        note: str | None = None
        if self.settings.server_mode is ServerMode.URL:
            url = self.settings.server_url
            self.home.set_server_status(
                self.tr("Spaces you start are hosted on %1").replace("%1", url)
                if url
                else self.tr("Enter the server's address."),
                ready=bool(url),
                error=not url,
            )
        elif self.embedded_url:
            if self._embedded_lan and self.embedded is not None:
                where = self.embedded_url.removeprefix("http://")
                self.home.set_server_status(
                    self.tr("Others on your network join at %1").replace("%1", where), ready=True
                )
                parts = [
                    self.tr("Hosting on %1.").replace("%1", self.embedded.network_address)
                    if self.embedded.network_address
                    else "",
                    self.embedded.firewall_note or "",
                    self.embedded.port_note or "",
                ]
                note = " ".join(part for part in parts if part)
            else:
                self.home.set_server_status(self.tr("Ready — only this computer can join"), ready=True)
        elif self.embedded_error:
            self.home.set_server_status(self.embedded_error, ready=False, error=True)
        elif self._embedded_switching:
            self.home.set_server_status(self.tr("Restarting the built-in server…"), ready=False)
        else:
            self.home.set_server_status(self.tr("Starting the built-in server…"), ready=False)
        self.home.set_server_note(note)

    def _server_changed(self, mode: str, url: str) -> None:
        self.settings.server_mode = ServerMode(mode)
        if url:
            self.settings.server_url = url
        if self.settings.server_mode is not ServerMode.URL:
            running_for_network = self._embedded_lan and (self.embedded_url or self._embedded_switching)
            if self.embedded_url and running_for_network != self._hosting_for_network:
                self._switch_embedded()
            else:
                if self.embedded_error and self._embedded_lan != self._hosting_for_network:
                    self.embedded_error = None  # the other audience may work where this one failed
                self._start_embedded()
        self._show_server_status()

    # --- menus and shortcuts ---

    def _action(self, text: str, shortcut: shortcuts.Shortcut | None, slot: Callable[[], object]) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut.keys))
            action.setToolTip(shortcuts.with_keys(text, shortcut))
        action.triggered.connect(lambda _=False: slot())
        self.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        app_menu = bar.addMenu(self.tr("&Spaces"))
        self.start_action = self._action(self.tr("Start a Space…"), None, self.open_setup)
        self.join_action = self._action(self.tr("Join a Space…"), None, lambda: self.open_join(""))
        self.settings_action = self._action(self.tr("Settings…"), shortcuts.SETTINGS, self.open_settings)
        quit_action = QAction(self.tr("Quit"), self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        for action in (self.start_action, self.join_action):
            app_menu.addAction(action)
        app_menu.addSeparator()
        app_menu.addAction(self.settings_action)
        app_menu.addSeparator()
        app_menu.addAction(quit_action)

        space_menu = bar.addMenu(self.tr("&Space"))
        c = self.controller
        self.mic_action = self._action(self.tr("Mute / unmute"), shortcuts.MIC, c.toggle_mic)
        self.camera_action = self._action(
            self.tr("Camera on / off"), shortcuts.CAMERA, lambda: c.toggle_camera(CameraSource.MAIN)
        )
        self.second_camera_action = self._action(
            self.tr("Product camera on / off"), None, lambda: c.toggle_camera(CameraSource.SECOND)
        )
        self.hand_action = self._action(self.tr("Raise / lower hand"), shortcuts.HAND, self._hand)
        self.pin_action = self._action(self.tr("Pin / unpin the big tile"), shortcuts.PIN, c.toggle_pin)
        self.leave_action = self._action(self.tr("Leave"), shortcuts.LEAVE, self.request_leave)
        self.end_action = self._action(self.tr("End Space…"), None, self.request_end)
        self.overlays_action = self._action(self.tr("Overlays…"), shortcuts.OVERLAYS, self.open_overlays)
        self.overlay_actions = {
            kind: self._action(text, shortcut, partial(self.toggle_overlay, kind))
            for kind, text, shortcut in (
                (OverlayKind.LOWER_THIRD, self.tr("Lower third on / off"), shortcuts.LOWER_THIRD),
                (OverlayKind.LOGO, self.tr("Logo on / off"), shortcuts.LOGO),
                (OverlayKind.PRODUCT, self.tr("Product card on / off"), shortcuts.PRODUCT_CARD),
            )
        }
        self.space_actions = [
            self.mic_action,
            self.camera_action,
            self.second_camera_action,
            self.hand_action,
            self.pin_action,
            self.leave_action,
            self.end_action,
        ]
        for action in self.space_actions[:5]:
            space_menu.addAction(action)
        space_menu.addSeparator()
        space_menu.addAction(self.overlays_action)
        for action in self.overlay_actions.values():
            space_menu.addAction(action)
        space_menu.addSeparator()
        space_menu.addAction(self.leave_action)
        space_menu.addAction(self.end_action)

        view_menu = bar.addMenu(self.tr("&View"))
        self.layout_group = QActionGroup(self)
        for mode, label in LAYOUTS:
            action = QAction(QCoreApplication.translate("ControlBar", label), self, checkable=True)
            action.setData(mode)
            action.setChecked(mode == self.settings.layout_mode)
            action.triggered.connect(lambda _=False, m=mode: self.set_layout_mode(m))
            self.layout_group.addAction(action)
            view_menu.addAction(action)
        self._update_actions()

    def _hand(self) -> None:
        me = self.controller.state.myself
        if me is not None and me.role is Role.LISTENER:
            self.controller.toggle_request()
        else:
            self.controller.toggle_hand()

    def _update_actions(self) -> None:
        state = self.controller.state
        in_space = self.space_screen is not None and self.stack.currentWidget() is self.space_screen
        me = state.myself
        on_stage = bool(in_space and me and me.on_stage)
        self.mic_action.setEnabled(on_stage)
        self.camera_action.setEnabled(in_space and state.can_use_camera)
        self.second_camera_action.setEnabled(
            in_space and state.can_use_camera and bool(self.controller.devices.second_camera)
        )
        self.hand_action.setEnabled(bool(in_space and me and me.role is not Role.HOST))
        self.pin_action.setEnabled(in_space and bool(state.stage or state.pinned))
        self.leave_action.setEnabled(in_space)
        self.end_action.setEnabled(bool(in_space and me and me.role is Role.HOST))
        busy = ENTER in self.controller.pending
        self.start_action.setEnabled(not in_space and not busy)
        self.join_action.setEnabled(not in_space and not busy)
        link = self._space_link()
        if in_space and link != self._overlay_link:
            self._overlay_link = link
            self.overlays.reload()  # this Space's overlays, in the engine before the camera goes on
        for action in self.overlay_actions.values():
            action.setEnabled(in_space and state.can_use_camera)
        product = in_space and controls_for(state, False).product_layouts  # as the Layout button offers
        for action in self.layout_group.actions():
            action.setVisible(product or action.data() not in PRODUCT_LAYOUTS)

    # --- overlays ---

    def _space_link(self) -> str:
        space = self.controller.state.space
        return space.share_link if space is not None else ""

    def open_overlays(self) -> OverlayDialog:
        if self.overlay_dialog is None:
            self.overlays.config = self.settings.overlays(self._space_link())
            dialog = OverlayDialog(
                self.overlays.config,
                self.overlays.update,
                (self.controller.devices.width, self.controller.devices.height),
                parent=self,
            )
            dialog.finished.connect(lambda _=0: setattr(self, "overlay_dialog", None))
            self.overlay_dialog = dialog
        self.overlay_dialog.show()
        self.overlay_dialog.raise_()
        return self.overlay_dialog

    def toggle_overlay(self, kind: OverlayKind) -> None:
        if not self.overlays.toggle(kind):
            self.open_overlays()  # nothing to show yet: say what, where it is set up
            return
        if self.overlay_dialog is not None:
            self.overlay_dialog.set_shown(kind, self.overlays.config.shown(kind))

    def set_layout_mode(self, mode: str) -> None:
        self.settings.layout_mode = mode
        for action in self.layout_group.actions():
            action.setChecked(action.data() == mode)
        if self.space_screen is not None:
            self.space_screen.controls.set_layout_mode(mode)
            self.space_screen._stage().set_layout_mode(mode)

    # --- home ---

    def _name_changed(self, name: str) -> None:
        if name:
            self.settings.display_name = name

    def _show_recent(self, home: HomeScreen) -> None:
        recent = self.settings.recent
        kept = frozenset(r.link for r in recent if r.hosted and self.settings.host_token(r.link))
        home.set_recent(recent, kept)

    def go_home(self) -> None:
        self._drop_space_screen()
        self.home.set_busy(None)
        self._show_recent(self.home)
        self._show_upcoming()
        self.upcoming.refresh()
        self.stack.setCurrentWidget(self.home)
        self.setWindowTitle(self.tr("Spaces"))
        self._update_actions()
        self.screen_changed.emit("home")

    def open_setup(self) -> SetupDialog | None:
        if self.space_screen is not None:
            return None  # one Space at a time
        name = self.home.display_name
        if not name:
            self.home.show_error(self.tr("Enter your name first: it's what others see."))
            self.home.name_edit.setFocus()
            return None
        if self.server_url is None:
            self.home.show_error(self.embedded_error or "The server isn't ready yet.")
            return None
        self.settings.display_name = name
        dialog = SetupDialog(
            self.theme,
            self.directory,
            self.preview_devices,
            self.settings.devices,
            name,
            parent=self,
        )
        dialog.accepted.connect(lambda: self._setup_done(dialog))
        dialog.finished.connect(lambda _: dialog.deleteLater())
        self.setup_dialog = dialog
        dialog.open()
        return dialog

    def _setup_done(self, dialog: SetupDialog) -> None:
        setup = dialog.result_setup
        self.setup_dialog = None
        server = self.server_url
        if setup is None or server is None:
            return
        self.settings.devices = setup.prefs
        self._pending_setup = setup
        self.home.set_busy(
            self.tr("Going live…") if setup.scheduled_for is None else self.tr("Scheduling your Space…")
        )
        self.controller.create(
            server,
            setup.title,
            self.home.display_name,
            setup.video_enabled,
            setup.devices,
            self.settings.client_id,
            scheduled_for=setup.scheduled_for,
        )

    def _scheduled(self, made: ScheduledSpace) -> None:
        """Made for later: it waits under Upcoming on Home; nothing is open until it starts."""
        self.upcoming.add(made)
        self._pending_setup = None
        self.home.set_busy(None)
        self.go_home()
        when = day_and_time(made.starts_at, datetime.now(UTC))
        self.statusBar().showMessage(
            self.tr("Scheduled for %1. Share the link: %2").replace("%1", when).replace("%2", made.link),
            30000,
        )

    def _show_upcoming(self) -> None:
        self.home.set_upcoming(self.upcoming.rows)

    def _remind(self, space: ScheduledSpace) -> None:
        """Shortly before a scheduled Space starts: the desktop's notification, else a line in the window."""
        when = day_and_time(space.starts_at, datetime.now(UTC))
        title = self.tr("Your Space starts soon")
        text = (
            self.tr("“%1” · %2. Start it from Home when you're ready.")
            .replace("%1", space.title)
            .replace("%2", when)
        )
        if not self.notifier.notify(title, text):
            self.home.show_reminder(self.tr("%1: %2").replace("%1", title).replace("%2", text))
        self.statusBar().showMessage(
            self.tr("%1: %2 · %3").replace("%1", title).replace("%2", space.title).replace("%3", when), 60000
        )

    def start_scheduled(self, link: str) -> None:
        """Takes a Space scheduled for later live now, and goes in as its host."""
        token = self.upcoming.token(link)
        if self.space_screen is not None or ENTER in self.controller.pending or not token:
            return
        self._pending_setup, self._starting = None, link
        devices = devices_for(self.settings.devices, self.directory.catalog, self.home.display_name, True)
        self.home.set_busy(self.tr("Going live…"))
        self.controller.start_scheduled(link, token, devices)

    def cancel_scheduled(self, link: str) -> None:
        title = next((r.space.title for r in self.upcoming.rows if r.space.link == link), "")
        if self.confirm(
            self,
            self.tr("Call off this Space?"),
            self.tr("“%1” won't take place, and its link stops working for everyone.").replace("%1", title),
            self.tr("Call off"),
        ):
            self.upcoming.cancel(link)

    def open_link(self, link: str | None) -> None:
        """A link from outside (a second launch, the OS): bring the window forward and offer to join."""
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()
        if not link:
            return
        if self.space_screen is not None:
            self.space_screen.show_message(
                self.tr("You're in a Space: leave it to join the one in the link.")
            )
            return
        if self.join_dialog is not None:
            self.join_dialog.close()
        self.home.set_link(link)
        self.open_join(link)

    def open_join(self, link: str) -> JoinDialog | None:
        if self.space_screen is not None:
            return None  # one Space at a time
        dialog = JoinDialog(
            self.theme, link or self.home.link_edit.text().strip(), self.home.display_name, self
        )
        dialog.accepted.connect(lambda: self._join_done(dialog))
        dialog.finished.connect(lambda _: dialog.deleteLater())
        self.join_dialog = dialog
        dialog.open()
        return dialog

    def _join_done(self, dialog: JoinDialog) -> None:
        self.join_dialog = None
        link, name = dialog.link, dialog.name
        self.settings.display_name = name
        self.home.set_display_name(name)
        self.home.set_link(link)
        self._pending_setup = None
        devices = devices_for(self.settings.devices, self.directory.catalog, name, video=True)
        self.home.set_busy(self.tr("Joining…"))
        self.controller.join(link, name, devices, self.settings.client_id)

    def reopen(self, link: str) -> None:
        """Back into a Space this app hosts, with the token kept when it was created."""
        token = self.settings.host_token(link)
        if self.space_screen is not None or not token:
            return
        self._pending_setup, self._reopening = None, link
        devices = devices_for(self.settings.devices, self.directory.catalog, self.home.display_name, True)
        self.home.set_busy(self.tr("Reopening your Space…"))
        self.controller.reopen(link, token, devices)

    def stop_waiting(self) -> None:
        """Leaves the lobby of a Space that has not let us in yet."""
        self._stopped_waiting = True
        self.waiting.cancel_button.setEnabled(False)
        self.controller.leave()

    def _entered(self) -> None:
        self.home.set_busy(None)
        state = self.controller.state
        hosted = self._pending_setup is not None or self._reopening is not None or self._starting is not None
        if self._starting is not None:
            self.upcoming.forget(self._starting)
        self._reopening = self._starting = None
        if state.space is not None:
            link = state.space.share_link
            self.settings.remember(state.space.title, link, hosted=hosted)
            token = self.controller.engine.token
            if hosted and token:
                self.settings.keep_host_token(link, token)
        self.show_space()

    def _enter_failed(self, message: str) -> None:
        reopened, self._reopening = self._reopening, None
        if self._starting is not None:
            self._starting = None
            self.upcoming.refresh()  # ended or cancelled meanwhile: the server's list says so
        if reopened is not None and isinstance(self.controller.last_error, DomainError):
            self.settings.forget_host_token(reopened)  # ended, or the token is no longer good
        if self._stopped_waiting:
            self._stopped_waiting = False
            self.go_home()
            return
        self.home.set_busy(None)
        self.home.show_error(message)
        self.go_home()
        self.home.show_error(message)

    # --- in the Space ---

    def show_space(self) -> SpaceScreen:
        if self.space_screen is None:
            stage = self.stage_factory(self.controller.engine.frames)
            frame_ready = getattr(stage, "frame_ready", None)
            if frame_ready is not None:
                self.controller.engine.frames.on_frame = frame_ready
            screen = SpaceScreen(
                self.theme,
                self.controller,
                stage,
                layout_mode=self.settings.layout_mode,
                directory=self.directory,
                parent=self,
            )
            screen.leave_requested.connect(self.request_leave)
            screen.end_requested.connect(self.request_end)
            screen.retry_requested.connect(self.retry)
            screen.layout_changed.connect(self.set_layout_mode)
            self.stack.addWidget(screen)
            self.space_screen = screen
        self.stack.setCurrentWidget(self.space_screen)
        self.space_screen.start()
        title = self.controller.state.space.title if self.controller.state.space else ""
        self.setWindowTitle(
            self.tr("%1 · Spaces").replace("%1", window_title(title)) if title else self.tr("Spaces")
        )
        self._update_actions()
        self.screen_changed.emit("space")
        return self.space_screen

    def release_space_screen(self) -> None:
        """Stops the Space screen's workers; the app calls it before shutting the engine down."""
        self._drop_space_screen()

    def _drop_space_screen(self) -> None:
        screen, self.space_screen = self.space_screen, None
        if screen is None:
            return
        screen.stop()
        self.controller.engine.frames.on_frame = None
        self.stack.removeWidget(screen)
        screen.deleteLater()

    def _on_state(self, state: SessionState) -> None:
        self._update_actions()
        if state.connection is Connection.WAITING and self.space_screen is None:
            self.waiting.show_waiting(waiting_text(state))
            if self.stack.currentWidget() is not self.waiting:
                self.stack.setCurrentWidget(self.waiting)
                self.screen_changed.emit("waiting")
            return
        me = state.myself
        over = state.connection in (Connection.ENDED, Connection.LEFT)
        if over and me is not None and me.role is Role.HOST and state.space is not None:
            self.settings.forget_host_token(state.space.share_link)
        invited = bool(me and me.invited and me.role is Role.LISTENER)
        if invited and not self._was_invited and self.space_screen is not None:
            self.show_invite()
        if not invited and self.invite_prompt is not None and not self.invite_prompt.isVisible():
            self.invite_prompt = None
        self._was_invited = invited
        ending = end_view(state)
        if ending is not None and self.space_screen is not None:
            self._close_invite()
            self._drop_space_screen()
            self.ended.show_end(ending, state.space.title if state.space else "")
            self.stack.setCurrentWidget(self.ended)
            self.setWindowTitle(self.tr("Spaces"))
            self._update_actions()
            self.screen_changed.emit("ended")
        elif state.connection is Connection.LEFT and self.space_screen is not None:
            self.go_home()

    def show_invite(self) -> InvitePrompt:
        state = self.controller.state
        video = bool(state.space and state.space.video_enabled)
        prompt = InvitePrompt(
            self.theme,
            self.preview_devices,
            self.controller.devices,
            space_title=state.space.title if state.space else "",
            video=video,
            parent=self,
        )
        prompt.accepted.connect(lambda: self.controller.answer_invite(True))
        prompt.rejected.connect(lambda: self.controller.answer_invite(False))
        self.invite_prompt = prompt
        prompt.open()
        return prompt

    def _close_invite(self) -> None:
        prompt, self.invite_prompt = self.invite_prompt, None
        if prompt is not None and prompt.isVisible():
            prompt.blockSignals(True)
            prompt.done(0)

    def request_leave(self) -> None:
        if self.space_screen is None:
            return
        me = self.controller.state.myself
        host = me is not None and me.role is Role.HOST
        if host and not self.confirm(
            self,
            self.tr("Leave and end the Space?"),
            self.tr("You're the host: leaving ends the Space for everyone."),
            self.tr("End Space"),
        ):
            return
        self.controller.leave()

    def request_end(self) -> None:
        if self.space_screen is None:
            return
        if self.confirm(
            self,
            self.tr("End this Space?"),
            self.tr("Everyone will be disconnected, and the Space can't be restarted."),
            self.tr("End Space"),
        ):
            self.controller.end_space()

    def retry(self) -> None:
        state = self.controller.state
        link = state.space.share_link if state.space else self.controller.link
        if not link:
            return
        self.controller.join(link, self.controller.name, self.controller.devices, self.settings.client_id)

    # --- settings ---

    def open_settings(self) -> SettingsDialog:
        values = SettingsValues(self.settings.devices, self.settings.sensitivity, self.settings.theme)
        dialog = SettingsDialog(
            self.theme,
            self.directory,
            self.preview_devices,
            values,
            self.home.display_name,
            self,
            in_space=self.space_screen is not None,
        )
        dialog.accepted.connect(lambda: self._settings_done(dialog))
        dialog.finished.connect(lambda _: dialog.deleteLater())
        self.settings_dialog = dialog
        dialog.open()
        return dialog

    def _settings_done(self, dialog: SettingsDialog) -> None:
        self.settings_dialog = None
        values = dialog.values()
        self.settings.devices = values.devices
        self._switch_devices(values.devices)
        self.settings.sensitivity = values.sensitivity
        self.controller.engine.set_director(director_settings(values.sensitivity))
        if values.theme != self.settings.theme:
            self.settings.theme = values.theme
            if self.apply_theme is not None:
                self.apply_theme()
                self._restyle()
        self.settings.sync()

    def _switch_devices(self, prefs: DevicePrefs) -> None:
        """Saved device picks take effect in the Space at once (the speaker also outside one)."""
        c = self.controller
        if prefs.speaker != c.speaker:
            c.set_device(DeviceSlot.SPEAKER, prefs.speaker)
        if self.space_screen is None:
            return
        wanted = [(DeviceSlot.MICROPHONE, prefs.microphone, c.devices.microphone)]
        if c.devices.camera != NONE:  # a Space without video opens no camera
            wanted.append((DeviceSlot.CAMERA, prefs.camera, c.devices.camera))
            if prefs.second_camera and prefs.second_camera != NONE:
                wanted.append((DeviceSlot.SECOND_CAMERA, prefs.second_camera, c.devices.second_camera or ""))
        for slot, spec, current in wanted:
            if spec and spec != NONE and spec != current:
                c.set_device(slot, spec)

    # --- closing ---

    def closeEvent(self, event: QCloseEvent) -> None:
        """Closing the window quits the app; the composition root shuts the engine down in order."""
        self.settings.sync()
        self.upcoming.stop()
        self.notifier.close()
        event.accept()
        app = QApplication.instance()
        if app is not None:
            app.quit()
