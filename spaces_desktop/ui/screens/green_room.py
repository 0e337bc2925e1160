"""The green room (GUI thread): a backstage guest's checks, and the host's list of who waits backstage.

`GreenRoomPanel` is what an invited speaker sees while backstage: the host sees and
hears them, the audience does not, and the app checks their camera, microphone,
echo and network every second (engine `readiness`) and says in plain words what
is wrong. `BackstageList` is the host's side: each guest with one "Bring on stage"
button (they go live already publishing).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from spaces_desktop.domain.state import SessionState
from spaces_desktop.media.readiness import Area, Finding
from spaces_desktop.ui.viewmodels.i18n import translate
from spaces_desktop.ui.viewmodels.session_controller import SessionController
from spaces_desktop.ui.widgets.plain import PlainLabel

CHECK_MS = 1000
AREA_NAMES = {
    Area.CAMERA: "Camera",
    Area.MICROPHONE: "Microphone",
    Area.ECHO: "Echo",
    Area.NETWORK: "Network",
}


def _tr(text: str) -> str:
    return translate("GreenRoom", text)


class GreenRoomPanel(QFrame):
    """Shown to a speaker while backstage."""

    def __init__(self, controller: SessionController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("greenRoom")
        self.setAccessibleName(_tr("Green room"))
        self.setMinimumWidth(300)
        self._controller = controller
        self._asking = False
        title = PlainLabel(_tr("You're backstage"))
        title.setProperty("role", "title")
        about = PlainLabel(
            _tr(
                "The host sees and hears you; the audience does not yet. "
                "When the host brings you on stage you go live at once."
            )
        )
        about.setWordWrap(True)
        about.setProperty("role", "muted")
        self._rows = QVBoxLayout()
        self._rows.setSpacing(6)
        self.verdict = PlainLabel("")
        self.verdict.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 16)
        layout.setSpacing(10)
        layout.addWidget(title)
        layout.addWidget(about)
        layout.addLayout(self._rows)
        layout.addWidget(self.verdict)
        layout.addStretch(1)
        self.findings: list[Finding] = []
        self._labels: list[PlainLabel] = []
        self._timer = QTimer(self)
        self._timer.setInterval(CHECK_MS)
        self._timer.timeout.connect(self.check)

    def start(self) -> None:
        if not self._timer.isActive():
            self._timer.start()
            self.check()

    def stop(self) -> None:
        self._timer.stop()

    def check(self) -> None:
        """Ask the engine for the checks (at most one request in flight)."""
        if self._asking:
            return
        self._asking = True
        future = self._controller.engine.readiness()
        self._controller.dispatcher.when_done(future, self._answered)

    def _answered(self, findings: Any, error: BaseException | None) -> None:
        self._asking = False
        if error is None and findings is not None:
            self.show_findings(list(findings))

    def show_findings(self, findings: list[Finding]) -> None:
        self.findings = findings
        while len(self._labels) < len(findings):
            label = PlainLabel("")
            label.setWordWrap(True)
            self._rows.addWidget(label)
            self._labels.append(label)
        for label, finding in zip(self._labels, findings, strict=False):
            mark = "✓" if finding.ok else "!"
            label.setText(f"{mark}  {_tr(AREA_NAMES[finding.area])}: {finding.words}")
            label.setProperty("role", "" if finding.ok else "error")
            label.style().unpolish(label)
            label.style().polish(label)
            label.show()
        for label in self._labels[len(findings) :]:
            label.hide()
        problems = [f for f in findings if not f.ok]
        if not problems:
            self.verdict.setText(_tr("Ready to go on stage."))
        else:
            areas = ", ".join(_tr(AREA_NAMES[f.area]).lower() for f in problems)
            self.verdict.setText(_tr("Check before you go live: %1.").replace("%1", areas))

    def texts(self) -> list[str]:
        return [label.text() for label in self._labels if not label.isHidden()]


class BackstageList(QFrame):
    """The host's and co-hosts' view of the green room: who waits, and one click to bring them on."""

    bring_on_stage = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("backstageList")
        self.setAccessibleName(_tr("Backstage"))
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(12, 8, 12, 8)
        self._layout.setSpacing(6)
        heading = PlainLabel(_tr("Backstage (only you and co-hosts see them)"))
        heading.setProperty("role", "muted")
        self._layout.addWidget(heading)
        self.buttons: dict[str, QPushButton] = {}
        self._rows: dict[str, QWidget] = {}

    def set_state(self, state: SessionState) -> None:
        guests = {m.id: m for m in state.backstage}
        for pid in [p for p in self._rows if p not in guests]:
            row = self._rows.pop(pid)
            self.buttons.pop(pid, None)
            row.deleteLater()
        for pid, member in guests.items():
            if pid in self._rows:
                continue
            row = QWidget()
            line = QHBoxLayout(row)
            line.setContentsMargins(0, 0, 0, 0)
            name = PlainLabel(member.display_name)  # someone else's text: plain, never rich
            button = QPushButton(_tr("Bring on stage"))
            button.setProperty("kind", "primary")
            button.setAccessibleName(_tr("Bring %1 on stage").replace("%1", member.display_name))
            button.clicked.connect(lambda _=False, p=pid: self.bring_on_stage.emit(p))
            line.addWidget(name, 1)
            line.addWidget(button)
            self._layout.addWidget(row)
            self._rows[pid] = row
            self.buttons[pid] = button
        self.setVisible(bool(guests))
