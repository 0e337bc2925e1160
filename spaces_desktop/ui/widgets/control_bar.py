"""The bar under the stage: mic, cameras, hand or request, reactions, layout, leave, end.

GUI thread only. Which buttons show comes from :func:`space_model.controls_for`;
the bar only reports clicks, it changes nothing itself.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QMenu,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from spaces_desktop.domain.state import DeviceSlot
from spaces_desktop.ui.qt.theme import Theme
from spaces_desktop.ui.viewmodels import shortcuts
from spaces_desktop.ui.viewmodels.i18n import QT_TRANSLATE_NOOP
from spaces_desktop.ui.viewmodels.space_model import Controls
from spaces_desktop.ui.widgets.device_menu import DeviceMenu, DeviceProvider
from spaces_desktop.ui.widgets.plain import PlainLabel
from spaces_desktop.ui.widgets.reactions import ReactionPicker

LAYOUTS = (
    ("speaker", QT_TRANSLATE_NOOP("ControlBar", "Speaker: the person talking, large")),
    ("grid", QT_TRANSLATE_NOOP("ControlBar", "Grid: everyone the same size")),
    ("side_by_side", QT_TRANSLATE_NOOP("ControlBar", "Side by side: camera and product camera")),
    ("pip", QT_TRANSLATE_NOOP("ControlBar", "Picture in picture: product camera large, camera small")),
)
PRODUCT_LAYOUTS = frozenset({"side_by_side", "pip"})
"""Layouts that need someone on stage with a product camera on: offered only then."""


class ControlButton(QWidget):
    """A round icon button with a caption under it."""

    def __init__(self, theme: Theme, icon: str, caption: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._theme = theme
        self.button = QToolButton()
        self.button.setObjectName("control")
        self.button.setIconSize(QSize(22, 22))
        self.button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.caption = PlainLabel(caption)
        self.caption.setObjectName("controlCaption")
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.menu_button: QToolButton | None = None
        self._row = QHBoxLayout()
        self._row.setContentsMargins(0, 0, 0, 0)
        self._row.setSpacing(0)
        self._row.addWidget(self.button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.setSpacing(4)
        layout.addLayout(self._row)
        layout.setAlignment(self._row, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.caption, 0, Qt.AlignmentFlag.AlignHCenter)
        self._look: tuple[object, ...] | None = None
        """The icon, caption, off state, tooltip and palette last shown."""
        self.set_look(icon, caption)

    def add_menu(self, menu: QMenu, tooltip: str) -> QToolButton:
        """A small arrow beside the round button that opens ``menu`` (e.g. which device to use)."""
        button = QToolButton()
        button.setObjectName("deviceMenu")
        button.setIcon(self._theme.icon("chevron-down", self._theme.palette.muted, 14))
        button.setIconSize(QSize(14, 14))
        button.setCursor(Qt.CursorShape.PointingHandCursor)
        button.setMenu(menu)
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        button.setToolTip(tooltip)
        button.setAccessibleName(tooltip)
        button.setAccessibleDescription(tooltip)
        self._row.addWidget(button, 0, Qt.AlignmentFlag.AlignBottom)
        self.menu_button = button
        return button

    def set_look(self, icon: str, caption: str, *, off: bool = False, tooltip: str | None = None) -> None:
        look = (icon, caption, off, tooltip, self._theme.palette)
        if look == self._look:
            return  # every state change asks again; restyling an unchanged button costs a repaint
        self._look = look
        colour = self._theme.palette.off_icon if off else None
        self.button.setIcon(self._theme.icon(icon, colour))
        self.button.setProperty("off", "true" if off else "false")
        self.button.style().unpolish(self.button)
        self.button.style().polish(self.button)
        self.caption.setText(caption)
        self.button.setAccessibleName(caption)
        if tooltip:
            self.button.setToolTip(tooltip)
            self.button.setAccessibleDescription(tooltip)


class ControlBar(QFrame):
    mic_clicked = Signal()
    camera_clicked = Signal()
    second_camera_clicked = Signal()
    hand_clicked = Signal()
    request_clicked = Signal()
    reaction_picked = Signal(str)
    layout_chosen = Signal(str)
    leave_clicked = Signal()
    end_clicked = Signal()
    device_chosen = Signal(object, str)
    """(DeviceSlot, spec) picked in one of the device menus."""

    def __init__(self, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("controlBar")
        self._theme = theme
        self.mic = ControlButton(theme, "mic", self.tr("Mute"))
        self.camera = ControlButton(theme, "camera", self.tr("Camera"))
        self.second_camera = ControlButton(theme, "product", self.tr("Product cam"))
        self.mic_menu = DeviceMenu((DeviceSlot.MICROPHONE, DeviceSlot.SPEAKER), parent=self)
        self.camera_menu = DeviceMenu((DeviceSlot.CAMERA,), parent=self)
        self.second_camera_menu = DeviceMenu((DeviceSlot.SECOND_CAMERA,), parent=self)
        self.mic.add_menu(self.mic_menu, self.tr("Choose your microphone and speaker"))
        self.camera.add_menu(self.camera_menu, self.tr("Choose your camera"))
        self.second_camera.add_menu(self.second_camera_menu, self.tr("Choose your product camera"))
        for menu in self.device_menus:
            menu.chosen.connect(self.device_chosen)
        self.hand = ControlButton(theme, "hand", self.tr("Raise hand"))
        self.hand.button.setCheckable(True)
        self.react = ControlButton(theme, "smile", self.tr("React"))
        self.picker = ReactionPicker(self)
        self.react.button.setMenu(self.picker)
        self.react.button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.react.button.setToolTip(self.tr("Send a reaction"))
        self.react.button.setAccessibleDescription(self.tr("Send a reaction"))
        self.layout_button = ControlButton(theme, "grid", self.tr("Layout"))
        self.layout_menu = QMenu(self)
        self.layout_actions = QActionGroup(self)
        for mode, label in LAYOUTS:
            action = QAction(self.tr(label), self.layout_menu, checkable=True)
            action.setData(mode)
            self.layout_actions.addAction(action)
            self.layout_menu.addAction(action)
        self.layout_button.button.setMenu(self.layout_menu)
        self.layout_button.button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.layout_button.button.setToolTip(self.tr("Choose how the stage is laid out"))
        self.layout_button.button.setAccessibleDescription(self.tr("Choose how the stage is laid out"))

        self.request = QPushButton(self.tr("Request to speak"))
        self.request.setProperty("kind", "primary")
        self.request.setIcon(theme.icon("hand", "#ffffff", 18))
        self.leave = QPushButton(self.tr("Leave"))
        self.leave.setIcon(theme.icon("leave", theme.palette.text, 18))
        self.leave.setToolTip(shortcuts.with_keys(self.tr("Leave the Space"), shortcuts.LEAVE))
        self.leave.setAccessibleName(self.tr("Leave the Space"))
        self.end = QPushButton(self.tr("End Space"))
        self.end.setProperty("kind", "danger")
        self.end.setIcon(theme.icon("end", "#ffffff", 18))
        self.end.setToolTip(self.tr("End the Space for everyone"))
        self.end.setAccessibleName(self.tr("End the Space for everyone"))

        layout = QHBoxLayout(self)
        layout.setContentsMargins(16, 10, 16, 10)
        layout.setSpacing(6)
        layout.addWidget(self.layout_button)
        layout.addStretch(1)
        for control in (self.mic, self.camera, self.second_camera, self.hand, self.react):
            layout.addWidget(control)
        layout.addSpacing(8)
        layout.addWidget(self.request, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addStretch(1)
        layout.addWidget(self.leave, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(self.end, 0, Qt.AlignmentFlag.AlignVCenter)

        self.mic.button.clicked.connect(self.mic_clicked)
        self.camera.button.clicked.connect(self.camera_clicked)
        self.second_camera.button.clicked.connect(self.second_camera_clicked)
        self.hand.button.clicked.connect(self.hand_clicked)
        self.request.clicked.connect(self.request_clicked)
        self.picker.picked.connect(self.reaction_picked)
        self.layout_actions.triggered.connect(lambda action: self.layout_chosen.emit(str(action.data())))
        self.leave.clicked.connect(self.leave_clicked)
        self.end.clicked.connect(self.end_clicked)
        self.set_controls(Controls(), set())

    @property
    def device_menus(self) -> tuple[DeviceMenu, ...]:
        return (self.mic_menu, self.camera_menu, self.second_camera_menu)

    def set_device_provider(self, provider: DeviceProvider) -> None:
        """Where the device menus get their entries when they open."""
        for menu in self.device_menus:
            menu.provider = provider

    def device_menu(self, slot: DeviceSlot) -> DeviceMenu:
        for menu in self.device_menus:
            if slot in menu.slots:
                return menu
        raise KeyError(slot)

    def set_layout_mode(self, mode: str) -> None:
        for action in self.layout_actions.actions():
            action.setChecked(action.data() == mode)

    def offered_layouts(self) -> list[str]:
        """The layouts the Layout menu offers now."""
        return [str(a.data()) for a in self.layout_actions.actions() if a.isVisible()]

    def set_controls(self, c: Controls, pending: set[str]) -> None:
        """Show what ``c`` allows; while offline only Leave and Layout work (the rest need the server)."""
        up = c.online
        self.mic.setVisible(c.mic)
        mic_word = self.tr("Unmute") if c.muted else self.tr("Mute")
        self.mic.set_look(
            "mic-off" if c.muted else "mic",
            mic_word,
            off=c.muted,
            tooltip=shortcuts.with_keys(mic_word, shortcuts.MIC),
        )
        self.mic.button.setEnabled(up and "mic" not in pending)
        self.camera.setVisible(c.camera)
        self.camera.set_look(
            "camera" if c.camera_on else "camera-off",
            self.tr("Stop camera") if c.camera_on else self.tr("Start camera"),
            off=not c.camera_on,
            tooltip=shortcuts.with_keys(
                self.tr("Turn your camera off") if c.camera_on else self.tr("Turn your camera on"),
                shortcuts.CAMERA,
            ),
        )
        self.camera.button.setEnabled(up and "camera:main" not in pending)
        self.second_camera.setVisible(c.second_camera)
        self.second_camera.set_look(
            "product",
            self.tr("Product cam on") if c.second_camera_on else self.tr("Product cam"),
            off=False,
            tooltip=self.tr("Turn your second (product) camera off")
            if c.second_camera_on
            else self.tr("Show your second camera"),
        )
        self.second_camera.button.setCheckable(True)
        self.second_camera.button.setChecked(c.second_camera_on)
        self.second_camera.button.setEnabled(up and "camera:second" not in pending)
        self.hand.setVisible(c.hand)
        self.hand.button.setChecked(c.hand_raised)
        self.hand.set_look(
            "hand",
            self.tr("Lower hand") if c.hand_raised else self.tr("Raise hand"),
            tooltip=shortcuts.with_keys(
                self.tr("Lower your hand") if c.hand_raised else self.tr("Raise your hand"), shortcuts.HAND
            ),
        )
        self.hand.button.setEnabled(up and "hand" not in pending)
        self.request.setVisible(c.request)
        self.request.setText(self.tr("Cancel request") if c.requested else self.tr("Request to speak"))
        self.request.setProperty("kind", "" if c.requested else "primary")
        self.request.setIcon(
            self._theme.icon("close" if c.requested else "hand", None if c.requested else "#ffffff", 18)
        )
        self.request.style().unpolish(self.request)
        self.request.style().polish(self.request)
        self.request.setEnabled(up and "request" not in pending)
        self.react.setVisible(c.react)
        self.react.button.setEnabled(up)
        self.leave.setVisible(c.leave)
        self.leave.setEnabled("leave" not in pending)
        self.end.setVisible(c.end)
        self.end.setEnabled(up and "end" not in pending)
        for action in self.layout_actions.actions():
            action.setVisible(c.product_layouts or action.data() not in PRODUCT_LAYOUTS)
