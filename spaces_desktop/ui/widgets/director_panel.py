"""The director panel: why the big tile switched, live, and how eagerly it does (GUI thread, hosts).

Shows the stage director's last notes, newest first, in words; a slider tunes its
sensitivity while live (the engine applies it at once, and the panel shows the
thresholds now in force, which the next notes quote).
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QListView, QListWidget, QSlider, QVBoxLayout, QWidget

from spaces_desktop.domain.state import SessionState
from spaces_desktop.media.stage_director import StageDirectorSettings
from spaces_desktop.ui.viewmodels.director_text import explain
from spaces_desktop.ui.viewmodels.i18n import translate
from spaces_desktop.ui.widgets.plain import PlainLabel

SHOWN = 12
DEFAULT_EAGERNESS = 50


def _tr(text: str) -> str:
    return translate("DirectorPanel", text)


def director_for(eagerness: int) -> StageDirectorSettings:
    """0 (calm: waits for clear turns) .. 100 (quick: follows short remarks); 50 is the default tuning."""
    base = StageDirectorSettings()
    x = max(0, min(100, eagerness)) / 100.0
    calm, quick = (0.32, 0.8), (0.08, 0.25)  # (onset, release) at the ends; the defaults in the middle
    middle = (base.onset_s, base.floor_release_s)
    end, t = (calm, 1 - x * 2) if x < 0.5 else (quick, (x - 0.5) * 2)
    onset = middle[0] + (end[0] - middle[0]) * t
    release = middle[1] + (end[1] - middle[1]) * t
    return replace(base, onset_s=round(onset, 3), floor_release_s=round(release, 3))


class DirectorPanel(QFrame):
    settings_changed = Signal(object)
    """New StageDirectorSettings, to apply live."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("directorPanel")
        self.setAccessibleName(_tr("Director"))
        self.setMinimumWidth(260)
        title = PlainLabel(_tr("Why the big tile switched"))
        title.setProperty("role", "title")
        self.notes = QListWidget()
        self.notes.setAccessibleName(_tr("Director's reasons, newest first"))
        self.notes.setWordWrap(True)
        self.notes.setResizeMode(QListView.ResizeMode.Adjust)
        self.notes.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.notes.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        sensitivity = PlainLabel(_tr("Sensitivity: calm ← → quick"))
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 100)
        self.slider.setValue(DEFAULT_EAGERNESS)
        self.slider.setAccessibleName(_tr("Stage sensitivity"))
        self.thresholds = PlainLabel("")
        self.thresholds.setProperty("role", "muted")
        self.thresholds.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(8)
        layout.addWidget(title)
        layout.addWidget(self.notes, 1)
        layout.addWidget(sensitivity)
        layout.addWidget(self.slider)
        layout.addWidget(self.thresholds)
        self.slider.valueChanged.connect(self._tuned)
        self._show_thresholds(director_for(DEFAULT_EAGERNESS))
        self._shown: tuple[object, ...] = ()

    def set_state(self, state: SessionState) -> None:
        if state.director_log == self._shown:
            return
        self._shown = state.director_log
        names = {m.id: m.display_name for m in state.members.values()}
        self.notes.clear()
        for note in reversed(state.director_log[-SHOWN:]):
            self.notes.addItem(
                self.tr("%1 s  %2").replace("%1", f"{note.time_s:6.1f}").replace("%2", explain(note, names))
            )

    def lines(self) -> list[str]:
        return [self.notes.item(i).text() for i in range(self.notes.count())]

    def _tuned(self, value: int) -> None:
        settings = director_for(value)
        self._show_thresholds(settings)
        self.settings_changed.emit(settings)

    def _show_thresholds(self, settings: StageDirectorSettings) -> None:
        self.thresholds.setText(
            _tr("Switches after %1 s of speech on a free floor; the floor is free after %2 s of silence.")
            .replace("%1", f"{settings.onset_s:.2f}")
            .replace("%2", f"{settings.floor_release_s:.2f}")
        )
