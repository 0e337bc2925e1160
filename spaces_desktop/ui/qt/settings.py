"""What the app remembers between runs, stored with QSettings (GUI thread).

One ``AppSettings`` is built by the composition root and passed to whoever
needs it; tests hand in a QSettings backed by a temporary file.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import sys
import uuid
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from enum import StrEnum

from PySide6.QtCore import QSettings

from spaces_desktop.media.stage_director import StageDirectorSettings
from spaces_desktop.session.port import ScheduledSpace
from spaces_desktop.ui.qt.theme import ThemeChoice
from spaces_desktop.ui.viewmodels.overlay_config import OverlayConfig

MAX_RECENT = 8
MAX_SCHEDULED = 20
MAX_OVERLAY_SPACES = 20


class ServerMode(StrEnum):
    EMBEDDED = "embedded"
    """The built-in server, for this computer only."""
    NETWORK = "network"
    """The built-in server, for people on the same network."""
    URL = "url"
    """A Spaces server elsewhere."""


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
        """This installation's key: made once, kept, and sent on every create and join, so a host's
        ban sticks to the installation rather than to a name."""
        value = self._str("profile/client_id")
        if not value:
            value = uuid.uuid4().hex
            self._store.setValue("profile/client_id", value)
            self._store.sync()  # kept at once: a crash before the next save must not make a new key
        return value

    @property
    def links_registered(self) -> bool:
        """Whether this install has made spaces:// links open it (done once, at the first start)."""
        return self._str("system/links_registered") == "yes"

    @links_registered.setter
    def links_registered(self, done: bool) -> None:
        self._store.setValue("system/links_registered", "yes" if done else "")

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

    # --- Spaces you host: their tokens, to reopen one after the app closed ---
    # A token is a secret (it acts as the host). QSettings keeps it in the user's registry hive on
    # Windows (per-user ACL) and in a preferences plist under ~/Library on macOS; on Linux and other
    # Unixes it is an INI file made with the umask (often world-readable), so that file is made
    # owner-only whenever a token is written.

    def host_token(self, link: str) -> str | None:
        return self._host_tokens().get(link)

    def keep_host_token(self, link: str, token: str) -> None:
        tokens = self._host_tokens()
        tokens.pop(link, None)
        tokens[link] = token
        for old in list(tokens)[:-MAX_RECENT]:  # as many as recent Spaces, the oldest go first
            del tokens[old]
        self._store.setValue("hosting/tokens", json.dumps(tokens))
        self._store.sync()
        self._make_private()

    def forget_host_token(self, link: str) -> None:
        tokens = self._host_tokens()
        if tokens.pop(link, None) is not None:
            self._store.setValue("hosting/tokens", json.dumps(tokens))

    # --- Spaces scheduled for later, with their host tokens (to start or cancel them) ---

    @property
    def scheduled(self) -> list[ScheduledSpace]:
        """Soonest first; what the app last knew (the server has the final word)."""
        try:
            items = json.loads(self._str("scheduled/spaces", "[]"))
            spaces = [
                ScheduledSpace(
                    str(i["link"]), str(i["title"]), datetime.fromisoformat(i["starts_at"]), i["token"]
                )
                for i in items
            ]
        except (ValueError, TypeError, KeyError):
            return []
        return sorted((s for s in spaces if s.starts_at.tzinfo is not None), key=lambda s: s.starts_at)

    @scheduled.setter
    def scheduled(self, spaces: list[ScheduledSpace]) -> None:
        kept = sorted(spaces, key=lambda s: s.starts_at)[:MAX_SCHEDULED]
        items = [
            {"link": s.link, "title": s.title, "starts_at": s.starts_at.isoformat(), "token": s.token}
            for s in kept
        ]
        self._store.setValue("scheduled/spaces", json.dumps(items))
        self._store.sync()
        self._make_private()  # the tokens act as the host

    def _host_tokens(self) -> dict[str, str]:
        try:
            items = json.loads(self._str("hosting/tokens", "{}"))
        except ValueError:
            return {}
        if not isinstance(items, dict):
            return {}
        return {str(k): str(v) for k, v in items.items()}

    def _make_private(self) -> None:
        path = self._store.fileName()
        if sys.platform == "win32" or not path or not os.path.isfile(path):
            return  # the registry (Windows) has per-user permissions of its own
        with contextlib.suppress(OSError):  # e.g. a foreign-owned file: the token still works
            os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)

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

    # --- overlays, per Space (a new Space starts from the last ones used) ---

    def overlays(self, link: str = "") -> OverlayConfig:
        kept = self._overlay_map()
        text = kept.get(link) if link else None
        return OverlayConfig.from_json(text if text is not None else self._str("overlays/last", "{}"))

    def keep_overlays(self, link: str, config: OverlayConfig) -> None:
        text = config.to_json()
        self._store.setValue("overlays/last", text)
        if not link:
            return
        kept = self._overlay_map()
        kept.pop(link, None)
        kept[link] = text
        for old in list(kept)[:-MAX_OVERLAY_SPACES]:
            del kept[old]
        self._store.setValue("overlays/spaces", json.dumps(kept))

    def _overlay_map(self) -> dict[str, str]:
        try:
            items = json.loads(self._str("overlays/spaces", "{}"))
        except ValueError:
            return {}
        return {str(k): str(v) for k, v in items.items()} if isinstance(items, dict) else {}
