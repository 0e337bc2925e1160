"""The real app as a process, and the built-in server with its private Janus.

These use the real Engine and backend (no network beyond loopback): the app
opens, quits on Ctrl+C (SIGINT) in order, and the process exits with 0.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from spaces_desktop.errors import ConfigError
from spaces_desktop.server.embedded import EmbeddedServer
from spaces_desktop.server.janus_process import MISSING_JANUS

needs_janus = pytest.mark.skipif(shutil.which("janus") is None, reason="Janus is not installed")


def app_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        QT_QPA_PLATFORM="offscreen",
        HOME=str(tmp_path),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        XDG_RUNTIME_DIR=str(tmp_path / "runtime"),
    )
    (tmp_path / "runtime").mkdir(mode=0o700, exist_ok=True)
    return env


def run_and_interrupt(
    args: list[str], env: dict[str, str], after_s: float
) -> subprocess.CompletedProcess[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "spaces_desktop", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(after_s)
        assert process.poll() is None, process.communicate()[1]
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def test_app_with_a_server_url_quits_cleanly(tmp_path: Path) -> None:
    result = run_and_interrupt(["gui", "--server", "http://127.0.0.1:9"], app_env(tmp_path), after_s=3.0)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


@needs_janus
def test_app_with_the_built_in_server_quits_cleanly(tmp_path: Path) -> None:
    result = run_and_interrupt([], app_env(tmp_path), after_s=6.0)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    # The built-in backend kept its database under the user's data folder.
    assert list((tmp_path / "data").rglob("spaces.sqlite3"))


@needs_janus
def test_embedded_server_serves_and_stops(tmp_path: Path) -> None:
    server = EmbeddedServer(tmp_path / "server")
    ready = threading.Event()
    outcome: dict[str, str] = {}

    def on_ready(url: str) -> None:
        outcome["url"] = url
        ready.set()

    def on_failed(message: str) -> None:
        outcome["error"] = message
        ready.set()

    server.start(on_ready, on_failed)
    try:
        assert ready.wait(40), "the built-in server neither started nor failed"
        assert "error" not in outcome, outcome.get("error")
        url = outcome["url"]
        assert url.startswith("http://127.0.0.1:")
        response = httpx.get(f"{url}/openapi.json", timeout=5)
        assert response.status_code == 200
    finally:
        server.stop()
    assert server.url is None
    assert not any(t.name == "embedded-server" and t.is_alive() for t in threading.enumerate())


def test_embedded_server_without_janus_says_how_to_fix_it(tmp_path: Path) -> None:
    def no_janus() -> None:
        raise ConfigError(MISSING_JANUS)

    server = EmbeddedServer(tmp_path / "server", check_janus=no_janus)
    done = threading.Event()
    messages: list[str] = []
    server.start(lambda url: done.set(), lambda message: (messages.append(message), done.set()))
    assert done.wait(10)
    server.stop()
    assert messages and "sudo apt-get install janus" in messages[0]


def test_ctrl_c_while_the_app_is_still_loading_quits_cleanly(tmp_path: Path) -> None:
    # Half a second in, Python is still importing Qt: the request is kept and honoured once the app runs.
    result = run_and_interrupt(["gui", "--server", "http://127.0.0.1:9"], app_env(tmp_path), after_s=0.5)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "KeyboardInterrupt" not in result.stderr
