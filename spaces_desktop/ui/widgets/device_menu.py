"""A small menu of devices to switch to during a Space, one section per device (GUI thread).

The menu is filled each time it opens, from whatever ``provider`` says is
plugged in and in use then, so a device plugged in a moment ago is offered.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMenu, QWidget

from spaces_desktop.domain.state import DeviceSlot
from spaces_desktop.ui.qt.devices import DeviceOption

DeviceProvider = Callable[[DeviceSlot], tuple[list[DeviceOption], str]]
"""For a slot: the options to offer and the spec in use now."""

SECTION_TITLES = {
    DeviceSlot.CAMERA: "Camera",
    DeviceSlot.SECOND_CAMERA: "Product camera",
    DeviceSlot.MICROPHONE: "Microphone",
    DeviceSlot.SPEAKER: "Speaker",
}


def menu_text(name: str) -> str:
    """A device name as a menu entry shows it: Qt takes a single "&" as a shortcut mark."""
    return name.replace("&", "&&")


def no_devices(slot: DeviceSlot) -> tuple[list[DeviceOption], str]:
    return [], ""


class DeviceMenu(QMenu):
    chosen = Signal(object, str)
    """(DeviceSlot, spec) the person picked; the entry in use is checked and not re-sent."""

    def __init__(
        self,
        slots: Sequence[DeviceSlot],
        provider: DeviceProvider = no_devices,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.slots = tuple(slots)
        self.provider = provider
        self.aboutToShow.connect(self.refill)

    def refill(self) -> None:
        self.clear()
        for slot in self.slots:
            options, current = self.provider(slot)
            heading = self.addAction(SECTION_TITLES[slot])
            heading.setEnabled(False)
            group = QActionGroup(self)
            for option in options:
                action = QAction(menu_text(option.label), self, checkable=True)
                action.setChecked(option.spec == current)
                action.setData((slot, option.spec))
                action.triggered.connect(lambda _=False, a=action: self._picked(a))
                group.addAction(action)
                self.addAction(action)
            if not options:
                empty = self.addAction(self.tr("Nothing to switch to"))
                empty.setEnabled(False)
            if slot is not self.slots[-1]:
                self.addSeparator()

    def entries(self, slot: DeviceSlot) -> list[QAction]:
        """The device entries of one section (after :meth:`refill`)."""
        return [a for a in self.actions() if isinstance(a.data(), tuple) and a.data()[0] is slot]

    def _picked(self, action: QAction) -> None:
        slot, spec = action.data()
        _, current = self.provider(slot)
        if spec != current:
            self.chosen.emit(slot, spec)
