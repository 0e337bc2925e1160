"""End to end: the real app hosts a video Space on the built-in backend and Janus, three bots
talk from conversation-a, and the enlarged tile follows whoever holds the floor."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from spaces_desktop.domain import Role
from spaces_desktop.domain.state import Connection
from spaces_desktop.session.engine import Engine
from spaces_desktop.ui.main_window import MainWindow
from spaces_desktop.ui.qt.devices import DeviceDirectory
from spaces_desktop.ui.qt.settings import AppSettings
from spaces_desktop.ui.qt.theme import Theme
from spaces_desktop.ui.stage import StageView
from tests.gui.conftest import CountingDevices, empty_catalog
from tests.integration.test_active_speaker import CONVERSATION
from tests.support.bots import BotProcess

SECONDS = 25.0  # the first five turns: alice, carol, alice, carol, bob
SETTLE_S = 1.5  # switch latency, the tile animation, and a busy machine

pytestmark = [
    pytest.mark.skipif(shutil.which("janus") is None, reason="Janus is not installed"),
    pytest.mark.skipif(
        not (CONVERSATION / "truth.json").is_file(), reason=f"no conversation at {CONVERSATION}"
    ),
]


def test_enlarged_tile_follows_the_speaker(
    qtbot: QtBot,
    theme: Theme,
    app_settings: AppSettings,
    server_url: str,
    tmp_path: Path,
    shot: Callable[[QWidget, str], Path],
) -> None:
    truth = json.loads((CONVERSATION / "truth.json").read_text())
    turns = [s for s in truth["segments"] if s["kind"] == "turn" and s["start"] < SECONDS]
    engine = Engine(lambda _: None, play_audio=False)
    directory = DeviceDirectory(empty_catalog)
    directory.load_now()
    app_settings.display_name = "Host"
    window = MainWindow(
        engine,
        app_settings,
        theme,
        server_url=server_url,
        directory=directory,
        preview_devices=CountingDevices(),
        confirm=lambda *_: True,
    )
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    bots: list[BotProcess] = []
    try:
        dialog = window.open_setup()
        assert dialog is not None
        dialog.title_edit.setText("Conversation on stage")
        dialog.video_toggle.setChecked(True)
        dialog.go_button.click()
        qtbot.waitUntil(lambda: window.controller.state.connection is Connection.LIVE, timeout=20000)
        # The Space screen opens when the engine's create call returns, a moment after the state is live.
        qtbot.waitUntil(
            lambda: window.space_screen is not None and window.space_screen.isVisible(), timeout=10000
        )
        state = window.controller.state
        assert state.space is not None and window.space_screen is not None
        stage = window.space_screen.stage
        assert isinstance(stage, StageView)

        start_at = time.time() + 8.0
        for name in truth["speakers"]:
            args = [
                "--join",
                state.space.share_link,
                "--request-to-speak",
                # Avatars only: the stage's video path has its own tests, and two cores must also
                # carry the app, three participants and Janus here.
                "--camera",
                "none",
                "--mic",
                str(CONVERSATION / f"{name}.wav"),
            ]
            args += ["--start-at", str(start_at), "--duration", str(SECONDS + 12)]
            bots.append(BotProcess(args, tmp_path, name))
        # The host brings each one on stage as their request arrives.
        names: dict[str, str] = {}
        deadline = time.monotonic() + 20
        while len(names) < len(bots) and time.monotonic() < deadline:
            qtbot.wait(100)
            for member in window.controller.state.pending_requests:
                if member.id not in names:
                    names[member.id] = member.display_name
                    engine.set_role(member.id, Role.SPEAKER)
        assert len(names) == len(bots), names

        # Watch the big tile through the conversation.
        samples: list[tuple[float, str | None]] = []
        while time.time() < start_at + SECONDS:
            qtbot.wait(100)
            featured = stage.arrangement().featured
            samples.append((time.time() - start_at, names.get(featured[0][0]) if featured else None))
        shot(window, "space-conversation")
        for turn in turns:
            window_samples = [who for t, who in samples if turn["start"] + SETTLE_S <= t <= turn["end"]]
            on_stage = sum(who == turn["speaker"] for who in window_samples) / max(1, len(window_samples))
            assert on_stage >= 0.8, (turn, window_samples)
    finally:
        for bot in bots:
            bot.stop()
        engine.shutdown()
        directory.close()
