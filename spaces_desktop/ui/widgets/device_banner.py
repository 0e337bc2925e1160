"""The device banner over the stage: a camera or microphone stopped, or is back (GUI thread).

It only shows what :func:`space_model.device_banner_for` says and reports its
button; "Not now" hides that one message until the devices change again.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QPushButton, QWidget

from spaces_desktop.domain.state import DeviceSlot, DeviceStatus
from spaces_desktop.ui.qt.theme import Theme
from spaces_desktop.ui.viewmodels.space_model import DeviceBannerView
from spaces_desktop.ui.widgets.plain import PlainLabel, set_plain_tooltip

ICONS = {
    DeviceSlot.CAMERA: "camera-off",
    DeviceSlot.SECOND_CAMERA: "camera-off",
    DeviceSlot.MICROPHONE: "mic-off",
    DeviceSlot.SPEAKER: "volume-off",
}


class DeviceBanner(QFrame):
    action_clicked = Signal(object)
    """The DeviceBannerView whose button was pressed."""

    def __init__(self, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self._theme = theme
        self.icon = PlainLabel()
        self.text = PlainLabel()
        self.text.setWordWrap(True)
        self.action = QPushButton()
        self.action.setProperty("kind", "primary")
        self.dismiss = QPushButton(self.tr("Not now"))
        self.dismiss.setProperty("kind", "ghost")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(16, 8, 16, 8)
        layout.setSpacing(10)
        layout.addWidget(self.icon)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.action, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(self.dismiss, 0, Qt.AlignmentFlag.AlignVCenter)
        self._dismissed: DeviceBannerView | None = None
        self.view: DeviceBannerView = DeviceBannerView(False)
        self.set_view(self.view)
        self.action.clicked.connect(lambda: self.action_clicked.emit(self.view))
        self.dismiss.clicked.connect(self._dismiss)

    def set_view(self, view: DeviceBannerView) -> None:
        self.view = view
        visible = view.visible and view != self._dismissed
        self.setVisible(visible)
        if not visible:
            return
        back = view.status is DeviceStatus.BACK
        self.setProperty("tone", "info" if back else "warning")
        self.style().unpolish(self)
        self.style().polish(self)
        icon = "refresh" if back else ICONS.get(view.slot, "alert")
        self.icon.setPixmap(self._theme.icon(icon, self._theme.palette.banner_text, 18).pixmap(18, 18))
        self.text.setText(view.text)
        set_plain_tooltip(self.text, view.detail)
        self.action.setText(view.action)
        self.action.setAccessibleName(view.action)

    def _dismiss(self) -> None:
        self._dismissed = self.view
        self.hide()
