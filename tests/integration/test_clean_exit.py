"""Every process ends within 3 s of SIGTERM, whatever state it is in and whether its server is up."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from spaces_desktop.domain import CameraSource
from spaces_desktop.session.engine import Engine
from spaces_desktop.session.local_media import NONE, DeviceChoice
from tests.gui.test_app_process import app_env
from tests.support.backend import Backend
from tests.support.bots import BotProcess

EXIT_S = 3.0


def stop_and_time(process: subprocess.Popen[bytes], what: str, log: str = "") -> float:
    """Sends SIGTERM and returns how long the process took to exit (at most a few seconds more)."""
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(EXIT_S + 5)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGUSR1)  # a bot prints its threads' stacks
        time.sleep(1)
        process.kill()
        process.wait()
        raise AssertionError(f"{what} was still running {EXIT_S + 5:.0f} s after SIGTERM\n{log}") from None
    took = time.monotonic() - started
    print(f"{what}: exited {took:.2f} s after SIGTERM (code {process.returncode})")
    return took


def host_bot(backend: Backend, tmp_path: Path) -> BotProcess:
    return BotProcess(["--server", backend.url, "--create", "Exit", "--video"], tmp_path, "Host")


def kill_backend(backend: Backend) -> None:
    assert backend.process is not None
    backend.process.kill()
    backend.process.wait()
    backend.process = None


def test_bot_exits_quickly_with_its_server_up(own_backend: Backend, tmp_path: Path) -> None:
    bot = host_bot(own_backend, tmp_path)
    try:
        bot.wait_event("camera", on=True, timeout=30)
        time.sleep(1.0)
        took = stop_and_time(bot.process, "bot, server up", bot.stderr())
    finally:
        bot.stop()
    assert took <= EXIT_S
    assert bot.process.returncode == 0, bot.stderr()


@pytest.mark.parametrize("wait_after_kill", [0.5, 4.0], ids=["just-killed", "reconnecting"])
def test_bot_exits_quickly_after_its_server_went_away(
    own_backend: Backend, tmp_path: Path, wait_after_kill: float
) -> None:
    bot = host_bot(own_backend, tmp_path)
    try:
        bot.wait_event("camera", on=True, timeout=30)
        time.sleep(1.0)
        kill_backend(own_backend)
        time.sleep(wait_after_kill)
        if wait_after_kill > 1:
            bot.wait_event("connection", state="reconnecting", timeout=10)
        took = stop_and_time(bot.process, f"bot, server killed {wait_after_kill} s before", bot.stderr())
    finally:
        bot.stop()
    assert took <= EXIT_S


def test_bot_exits_quickly_during_reconnect_backoff(own_backend: Backend, tmp_path: Path) -> None:
    """Long into an outage the waits between tries are long: SIGTERM must not wait for one to end."""
    bot = BotProcess(
        ["--server", own_backend.url, "--create", "Exit", "--camera", "none", "--mic", "none"],
        tmp_path,
        "Host",
    )
    try:
        bot.wait_event("joined", timeout=30)
        kill_backend(own_backend)
        bot.wait_event("connection", state="reconnecting", timeout=10)
        time.sleep(2.0)
        took = stop_and_time(bot.process, "bot, in reconnect backoff", bot.stderr())
    finally:
        bot.stop()
    assert took <= EXIT_S


def test_bot_exits_quickly_during_ice_gathering(own_backend: Backend, tmp_path: Path) -> None:
    # Right after joining, the host's publishing connection is gathering candidates.
    bot = host_bot(own_backend, tmp_path)
    try:
        bot.wait_event("joined", timeout=30)
        took = stop_and_time(bot.process, "bot, while its connection sets up", bot.stderr())
    finally:
        bot.stop()
    assert took <= EXIT_S


@pytest.mark.parametrize("janus", ["up", "killed"])
def test_serve_exits_quickly_and_takes_janus_along(own_backend: Backend, tmp_path: Path, janus: str) -> None:
    bot = host_bot(own_backend, tmp_path)  # a live Space with media and an open event stream
    try:
        bot.wait_event("camera", on=True, timeout=30)
        if janus == "killed":
            os.kill(own_backend.janus_pid(), signal.SIGKILL)
            time.sleep(0.3)  # the backend is restarting it now
        assert own_backend.process is not None
        process = own_backend.process
        took = stop_and_time(process, f"serve, Janus {janus}", own_backend.log_tail())
        own_backend.process = None
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline and _janus_of(own_backend):
            time.sleep(0.05)
        assert not _janus_of(own_backend), "Janus outlived the backend"
    finally:
        bot.stop()
    assert took <= EXIT_S, own_backend.log_tail()


def _janus_of(backend: Backend) -> list[int]:
    """Live Janus processes running from this backend's data folder."""
    found = subprocess.run(["pgrep", "-f", f"{backend.data_dir}/janus"], capture_output=True, text=True)
    return [int(pid) for pid in found.stdout.split() if _running(int(pid))]


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def test_engine_shuts_down_quickly_with_its_server_gone(own_backend: Backend) -> None:
    """What the app does when its window closes: the engine's session, connections and thread."""
    engine = Engine(lambda _: None, play_audio=False)
    try:
        devices = DeviceChoice(camera="synthetic", microphone=NONE, label="Me")
        engine.create_space(own_backend.url, "Exit", "Me", True, devices).result(30)
        engine.set_camera(CameraSource.MAIN, True).result(10)
        time.sleep(2.0)  # publishing now
        kill_backend(own_backend)
        time.sleep(1.0)
        started = time.monotonic()
        engine.leave().result(10)
        left = time.monotonic() - started
        engine.shutdown()
        took = time.monotonic() - started
    finally:
        engine.shutdown()
    print(f"engine, server gone: left in {left:.2f} s, shut down in {took:.2f} s")
    assert took <= EXIT_S


def test_app_process_exits_quickly_with_its_server_gone(own_backend: Backend, tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "spaces_desktop", "gui", "--server", own_backend.url],
        env=app_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and not _catches_sigterm(process.pid):
            assert process.poll() is None
            time.sleep(0.1)
        assert _catches_sigterm(process.pid), "the app never got ready to quit on SIGTERM"
        time.sleep(2.0)  # the window is up and has talked to the server
        kill_backend(own_backend)
        time.sleep(1.0)
        took = stop_and_time(process, "app, server gone")
    finally:
        if process.poll() is None:
            process.kill()
        _, err = process.communicate(timeout=10)
    assert took <= EXIT_S
    assert process.returncode == 0, err.decode(errors="replace")[-2000:]
    assert b"Traceback" not in err


def _catches_sigterm(pid: int) -> bool:
    """Whether the process has its own SIGTERM handler yet (the app installs it once its window is up)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("SigCgt:"):
                return bool(int(line.split()[1], 16) & (1 << (signal.SIGTERM - 1)))
    return False
