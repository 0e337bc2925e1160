"""Test session setup: tests marked `netns` run inside a private network namespace.

Everything under tests/integration and tests/gui is marked (they start backends,
Janus, Chromium or the app); a unit test that opens non-loopback sockets must be
marked by hand. The namespace is entered once collection is over, and only when a
selected test needs it, so `pytest tests/unit` (or `-m "not netns"`) runs without
root and without user namespaces. Without root, entering re-runs pytest under
`unshare -rn` (see spaces_desktop/bench/netns.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import netns

NETNS_KEY = pytest.StashKey[str]()
NAMESPACED_FOLDERS = ("integration", "gui")
TESTS = Path(__file__).parent


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        try:
            folder = item.path.relative_to(TESTS).parts[0]
        except ValueError:
            continue
        if folder in NAMESPACED_FOLDERS:
            item.add_marker(pytest.mark.netns)


def pytest_collection_finish(session: pytest.Session) -> None:
    if not any(item.get_closest_marker("netns") for item in session.items):
        return
    # Before any test or fixture runs: sockets opened from here on are the namespace's. Output
    # capture is let go first, so a re-run under `unshare -rn` writes to the terminal, not a capture file.
    capture = session.config.pluginmanager.getplugin("capturemanager")
    if capture is not None:
        capture.suspend_global_capture(in_=True)
    try:
        session.config.stash[NETNS_KEY] = netns.enter()
    finally:
        if capture is not None:
            capture.resume_global_capture()


def pytest_report_header(config: pytest.Config) -> str:
    return f"network: a private namespace for tests marked netns, media on {netns.MEDIA_INTERFACE}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    how = config.stash.get(NETNS_KEY, None)
    terminalreporter.write_line(f"network namespace: {how or 'not needed (no netns test selected)'}")
