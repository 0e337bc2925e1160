"""A speaker's network drops for 10 s: the app rejoins by itself with its state intact."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.backend import Backend
from tests.support.bots import BotProcess
from tests.support.netns import MEDIA_INTERFACE, OwnNetwork


@pytest.fixture
def network() -> Iterator[OwnNetwork]:
    own = OwnNetwork()
    yield own
    own.close()


@pytest.fixture
def reachable_backend(tmp_path: Path, network: OwnNetwork) -> Iterator[Backend]:
    # Janus gathers on the participant's link too, as it would on a server's public interface.
    server = Backend(
        tmp_path / "data",
        tmp_path / "backend.log",
        host="0.0.0.0",
        ice_interfaces=f"{MEDIA_INTERFACE},{network.outer}",
    )
    server.start()
    yield server
    server.stop()


def test_network_cut_ends_in_automatic_rejoin(
    reachable_backend: Backend, network: OwnNetwork, tmp_path: Path
) -> None:
    host = BotProcess(
        [
            "--server",
            reachable_backend.url,
            "--create",
            "Cut",
            "--video",
            "--accept-requests",
            "--duration",
            "45",
        ],
        tmp_path,
        "Host",
    )
    roamer: BotProcess | None = None
    try:
        space_id = host.wait_event("joined")["space_id"]
        link = f"http://{network.gateway}:{reachable_backend.port}/s/{space_id}"
        roamer = BotProcess(
            ["--join", link, "--request-to-speak", "--raise-hand", "--muted", "--duration", "38"],
            tmp_path,
            "Roamer",
            prefix=network.prefix(),
        )
        network.hand_over(roamer.process.pid)
        roamer.wait_event("camera", on=True, timeout=20)
        roamer.wait_event("muted", timeout=10)
        time.sleep(4)

        network.set_up(False)
        time.sleep(10)
        network.set_up(True)

        roamer.wait_event("connection", state="reconnecting", timeout=10)
        summary = roamer.summary(timeout=60)
        host_summary = host.summary(timeout=30)
    finally:
        host.stop()
        if roamer is not None:
            roamer.stop()
    assert summary["role"] == "speaker"
    assert summary["me"] == {"hand_raised": True, "muted": True, "camera_on": True, "second_camera_on": False}
    assert summary["media_reconnects"] >= 1
    states = [e["state"] for e in roamer.events if e["event"] == "connection"]
    assert states[-1] in ("live", "left") and "live" in states[states.index("reconnecting") :], states
    # Media flows both ways again at the end.
    [from_host] = summary["received"].values()
    assert from_host["video"]["main"]["recent_fps"] >= 20, from_host
    # The host kept receiving the speaker after the cut: far more frames than the ~5 s before it.
    [from_roamer] = host_summary["received"].values()
    assert from_roamer["video"]["main"]["frames"] > 400, from_roamer
