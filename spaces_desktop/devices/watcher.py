"""Notice devices being plugged in and out by polling the catalogs."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass

from spaces_desktop.devices.catalog import DeviceCatalog, DeviceInfo, list_audio_devices, list_cameras

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeviceChange:
    """What changed since the previous scan, plus the full new catalog."""

    added: tuple[DeviceInfo, ...]
    removed: tuple[DeviceInfo, ...]
    catalog: DeviceCatalog


Scanner = Callable[[], DeviceCatalog]
ChangeListener = Callable[[DeviceChange], None]


def default_scanner(platform: str = sys.platform) -> Scanner:
    """Cameras plus audio devices, restarting PortAudio (when idle) so new devices show up.

    Only Linux can list cameras without opening them; elsewhere cameras are
    probed once and that list is kept, because opening every camera every
    two seconds would flash their lights and fail on ones in use.
    """
    cameras: tuple[DeviceInfo, ...] | None = None

    def scan() -> DeviceCatalog:
        nonlocal cameras
        if cameras is None or platform.startswith("linux"):
            cameras = list_cameras(platform=platform)
        return DeviceCatalog(cameras=cameras, audio=list_audio_devices(rescan=True))

    return scan


class DeviceWatcher:
    """Polls ``scan`` and reports added and removed devices.

    Drive it either by calling :meth:`poll` (any thread; the listener runs in
    that thread) or by running :meth:`run` as an asyncio task, which scans in
    the loop's default executor and calls the listener on the loop thread.
    The first scan sets the baseline and reports nothing. ``on_scan``, if
    given, gets every catalog scanned, changed or not (same thread as the
    listener), for whoever waits on one device rather than on any change.
    """

    def __init__(
        self,
        on_change: ChangeListener,
        *,
        scan: Scanner | None = None,
        interval: float = 2.0,
        on_scan: Callable[[DeviceCatalog], None] | None = None,
    ) -> None:
        self._on_change = on_change
        self._on_scan = on_scan
        self._scan = scan or default_scanner()
        self.interval = interval
        self._known: dict[str, DeviceInfo] | None = None
        self.catalog: DeviceCatalog | None = None

    def poll(self) -> DeviceChange | None:
        """Scan once and report a change, if any (blocking)."""
        return self._apply(self._scan())

    async def run(self) -> None:
        """Poll every ``interval`` seconds until cancelled."""
        loop = asyncio.get_running_loop()
        while True:
            try:
                catalog = await loop.run_in_executor(None, self._scan)
            except Exception:  # a flaky scan must not end hot-plug detection
                log.exception("device scan failed")
            else:
                self._apply(catalog)
            await asyncio.sleep(self.interval)

    def _apply(self, catalog: DeviceCatalog) -> DeviceChange | None:
        self.catalog = catalog
        if self._on_scan is not None:
            self._on_scan(catalog)
        current = {f"{d.kind}:{d.key}": d for d in catalog.all}
        previous, self._known = self._known, current
        if previous is None:
            return None
        added = tuple(d for k, d in current.items() if k not in previous)
        removed = tuple(d for k, d in previous.items() if k not in current)
        if not added and not removed:
            return None
        change = DeviceChange(added=added, removed=removed, catalog=catalog)
        self._on_change(change)
        return change
