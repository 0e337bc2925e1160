"""Links from outside the app: one app per person, spaces:// registered with the desktop,
and the hosting choice on Home."""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from spaces_desktop.link_handler import DESKTOP_FILE, MIME_TYPE, desktop_entry, register
from spaces_desktop.ui.qt.single_instance import SingleInstance, hand_over, server_name


def test_a_second_launch_hands_its_link_to_the_running_app(qtbot: QtBot) -> None:
    name = server_name(f"test-{uuid.uuid4().hex}")
    received: list[str | None] = []
    first = SingleInstance(name, received.append)
    assert first.listen()
    try:
        assert hand_over(name, "spaces://spaces.example.com/s/AbC123")
        qtbot.waitUntil(lambda: received == ["spaces://spaces.example.com/s/AbC123"], timeout=5000)
        assert hand_over(name, None), "a launch without a link just brings the window forward"
        qtbot.waitUntil(lambda: received[-1:] == [None] and len(received) == 2, timeout=5000)
    finally:
        first.close()
    assert not hand_over(name, "spaces://x/s/y"), "nobody listens once the app has quit"


def test_a_socket_left_by_a_crashed_app_is_taken_over(qtbot: QtBot) -> None:
    name = server_name(f"test-{uuid.uuid4().hex}")
    crashed = SingleInstance(name, lambda _: None)
    assert crashed.listen()
    crashed.close()  # its socket name may linger, as after a crash
    received: list[str | None] = []
    again = SingleInstance(name, received.append)
    try:
        assert again.listen()
        assert hand_over(name, "https://spaces.example.com/s/Zz9")
        qtbot.waitUntil(lambda: received == ["https://spaces.example.com/s/Zz9"], timeout=5000)
    finally:
        again.close()


def test_setup_registers_spaces_links_with_the_desktop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_CURRENT_DESKTOP", "X-Generic")
    sentence = register(["/opt/Spaces Desktop/spaces-desktop"])
    assert "spaces://" in sentence
    entry = (tmp_path / "data" / "applications" / DESKTOP_FILE).read_text()
    assert 'Exec="/opt/Spaces Desktop/spaces-desktop" %u' in entry
    assert f"MimeType={MIME_TYPE};" in entry
    query = subprocess.run(
        ["xdg-mime", "query", "default", MIME_TYPE], capture_output=True, text=True, env=dict(os.environ)
    )
    assert query.stdout.strip() == DESKTOP_FILE, (query.stdout, query.stderr)


def test_desktop_entry_quotes_what_needs_quoting() -> None:
    entry = desktop_entry(["/usr/bin/python3", "-m", "spaces_desktop", 'a "b" $c 100%'])
    assert 'Exec=/usr/bin/python3 -m spaces_desktop "a \\"b\\" \\$c 100%%" %u' in entry
