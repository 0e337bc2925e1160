"""What the app remembers between runs, stored with QSettings (GUI thread).

One ``AppSettings`` is built by the composition root and passed to whoever
needs it; tests hand in a QSettings backed by a temporary file.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from enum import StrEnum

from PySide6.QtCore import QSettings

from spaces_desktop.media.stage_director import StageDirectorSettings
from spaces_desktop.ui.theme import ThemeChoice

MAX_RECENT = 8


class ServerMode(StrEnum):
    EMBEDDED = "embedded"
    URL = "url"


class Sensitivity(StrEnum):
    """How eagerly the stage moves to whoever starts talking."""

    CALM = "calm"
    BALANCED = "balanced"
    QUICK = "quick"


SENSITIVITY_LABELS = {
    Sensitivity.CALM: "Calm — waits for a clear turn before switching",
    Sensitivity.BALANCED: "Balanced — the default",
    Sensitivity.QUICK: "Quick — follows short turns, may switch on brief remarks",
}


def director_settings(sensitivity: Sensitivity) -> StageDirectorSettings:
    """The stage director tuning behind each sensitivity preset."""
    base = StageDirectorSettings()
    if sensitivity is Sensitivity.CALM:
        return replace(base, onset_s=0.3, floor_release_s=0.8)
    if sensitivity is Sensitivity.QUICK:
        return replace(base, onset_s=0.1, floor_release_s=0.3)
    return base


@dataclass(frozen=True)
class RecentSpace:
    title: str
    link: str
    last_seen: str
    """ISO date and time of the last visit."""
    hosted: bool = False


@dataclass(frozen=True)
class DevicePrefs:
    """Device specs as DeviceChoice understands them; empty means "pick the best available"."""

    camera: str = ""
    second_camera: str = ""
    microphone: str = ""
    speaker: str = ""
    """An output index; "" plays on the system default."""


class AppSettings:
    def __init__(self, store: QSettings) -> None:
        self._store = store

    def _str(self, key: str, default: str = "") -> str:
        value = self._store.value(key, default)
        return str(value) if value is not None else default

    def sync(self) -> None:
        self._store.sync()

    # --- identity ---

    @property
    def display_name(self) -> str:
        return self._str("profile/display_name")

    @display_name.setter
    def display_name(self, name: str) -> None:
        self._store.setValue("profile/display_name", name.strip())

    @property
    def client_id(self) -> str:
        """A random id for this installation, so the backend can tell a returning person."""
        value = self._str("profile/client_id")
        if not value:
            value = uuid.uuid4().hex
            self._store.setValue("profile/client_id", value)
        return value

    # --- server ---

    @property
    def server_mode(self) -> ServerMode:
        try:
            return ServerMode(self._str("server/mode", ServerMode.EMBEDDED))
        except ValueError:
            return ServerMode.EMBEDDED

    @server_mode.setter
    def server_mode(self, mode: ServerMode) -> None:
        self._store.setValue("server/mode", str(mode))

    @property
    def server_url(self) -> str:
        return self._str("server/url")

    @server_url.setter
    def server_url(self, url: str) -> None:
        self._store.setValue("server/url", url.strip())

    # --- recent Spaces ---

    @property
    def recent(self) -> list[RecentSpace]:
        try:
            items = json.loads(self._str("recent/spaces", "[]"))
            return [RecentSpace(**item) for item in items][:MAX_RECENT]
        except (ValueError, TypeError):
            return []

    def remember(self, title: str, link: str, hosted: bool, when: datetime | None = None) -> None:
        seen = (when or datetime.now()).isoformat(timespec="minutes")
        entries = [r for r in self.recent if r.link != link]
        entries.insert(0, RecentSpace(title, link, seen, hosted))
        self._store.setValue("recent/spaces", json.dumps([asdict(r) for r in entries[:MAX_RECENT]]))

    def forget_recent(self) -> None:
        self._store.remove("recent/spaces")

    # --- devices ---

    @property
    def devices(self) -> DevicePrefs:
        return DevicePrefs(
            camera=self._str("devices/camera"),
            second_camera=self._str("devices/second_camera"),
            microphone=self._str("devices/microphone"),
            speaker=self._str("devices/speaker"),
        )

    @devices.setter
    def devices(self, prefs: DevicePrefs) -> None:
        self._store.setValue("devices/camera", prefs.camera)
        self._store.setValue("devices/second_camera", prefs.second_camera)
        self._store.setValue("devices/microphone", prefs.microphone)
        self._store.setValue("devices/speaker", prefs.speaker)

    # --- look and feel ---

    @property
    def theme(self) -> ThemeChoice:
        try:
            return ThemeChoice(self._str("appearance/theme", ThemeChoice.SYSTEM))
        except ValueError:
            return ThemeChoice.SYSTEM

    @theme.setter
    def theme(self, choice: ThemeChoice) -> None:
        self._store.setValue("appearance/theme", str(choice))

    @property
    def sensitivity(self) -> Sensitivity:
        try:
            return Sensitivity(self._str("stage/sensitivity", Sensitivity.BALANCED))
        except ValueError:
            return Sensitivity.BALANCED

    @sensitivity.setter
    def sensitivity(self, value: Sensitivity) -> None:
        self._store.setValue("stage/sensitivity", str(value))

    @property
    def layout_mode(self) -> str:
        return self._str("stage/layout", "speaker")

    @layout_mode.setter
    def layout_mode(self, mode: str) -> None:
        self._store.setValue("stage/layout", mode)
