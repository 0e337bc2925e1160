"""Hosting for people on my network: the app's built-in server on the LAN, joined from another machine.

The "other machine" is a participant in a network namespace of its own, joined
to ours by a veth pair standing in for the office Wi-Fi: it knows nothing but the
share link the host copied.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from spaces_desktop.server.embedded import LAN_RTP_PORTS, EmbeddedServer
from tests.support.bots import BotProcess
from tests.support.netns import OwnNetwork


@pytest.fixture
def office() -> Iterator[OwnNetwork]:
    network = OwnNetwork(name="lan", subnet="10.79.0")
    yield network
    network.close()


def start(server: EmbeddedServer, lan: bool) -> str:
    ready = threading.Event()
    outcome: dict[str, str] = {}

    def on_ready(url: str) -> None:
        outcome["url"] = url
        ready.set()

    def on_failed(message: str) -> None:
        outcome["error"] = message
        ready.set()

    server.start(on_ready, on_failed, lan=lan)
    assert ready.wait(40), "the built-in server did not start"
    assert "error" not in outcome, outcome
    return outcome["url"]


def test_a_guest_on_another_machine_joins_by_the_copied_link(tmp_path: Path, office: OwnNetwork) -> None:
    server = EmbeddedServer(tmp_path / "server", lan_interface=office.outer, lan_port=18470)
    host: BotProcess | None = None
    guest: BotProcess | None = None
    try:
        url = start(server, lan=True)
        assert url == f"http://{office.gateway}:18470"
        assert server.network_address == f"{office.gateway} ({office.outer})"
        assert server.firewall_note is not None and "18470" in server.firewall_note
        assert str(LAN_RTP_PORTS[0]) in server.firewall_note

        host = BotProcess(
            ["--server", url, "--create", "Office hours", "--video", "--duration", "40"], tmp_path, "Host"
        )
        link = str(host.wait_event("joined", timeout=60)["share_link"])
        assert link.startswith(f"http://{office.gateway}:18470/s/"), link

        guest = BotProcess(
            ["--join", link, "--camera", "none", "--mic", "none", "--duration", "12"],
            tmp_path,
            "Guest",
            prefix=office.prefix(),
        )
        office.hand_over(guest.process.pid)
        summary = guest.summary(timeout=60)
        assert summary["errors"] == [], summary["errors"]
        [from_host] = summary["received"].values()
        assert from_host["video"]["main"]["frames"] > 60, from_host
        assert from_host["audio_frames"] > 100, from_host
    finally:
        for bot in (guest, host):
            if bot is not None:
                bot.stop()
        server.stop()


def test_the_link_outlives_a_restart_of_the_app(tmp_path: Path, office: OwnNetwork) -> None:
    server = EmbeddedServer(tmp_path / "server", lan_interface=office.outer, lan_port=18471)
    try:
        url = start(server, lan=True)
        created = httpx.post(
            f"{url}/spaces", json={"title": "Standup", "host_name": "Ava", "video_enabled": False}, timeout=20
        ).json()
        link = created["snapshot"]["space"]["share_link"]
        server.stop()

        again = EmbeddedServer(tmp_path / "server", lan_interface=office.outer, lan_port=18471)
        server = again
        assert start(again, lan=True) == url, "the same address and port after a restart"
        preview = httpx.get(link, headers={"Accept": "application/json"}, timeout=20).json()
        assert preview["title"] == "Standup" and preview["status"] == "live"
        token = created["token"]
        snapshot = httpx.get(
            f"{url}/spaces/{created['snapshot']['space']['id']}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=20,
        )
        assert snapshot.status_code == 200, "the host's token still works"
    finally:
        server.stop()


def test_only_this_computer_listens_on_loopback(tmp_path: Path) -> None:
    server = EmbeddedServer(tmp_path / "server")
    try:
        url = start(server, lan=False)
        assert url.startswith("http://127.0.0.1:")
        assert server.network_address is None and server.firewall_note is None
    finally:
        server.stop()


def test_a_space_scheduled_on_this_computer_keeps_its_link_after_a_restart(tmp_path: Path) -> None:
    server = EmbeddedServer(tmp_path / "server", local_port=18472)
    try:
        url = start(server, lan=False)
        assert url == "http://127.0.0.1:18472"
        created = httpx.post(
            f"{url}/spaces",
            json={
                "title": "Friday show",
                "host_name": "Ava",
                "video_enabled": True,
                "scheduled_for": (datetime.now(UTC) + timedelta(days=2)).isoformat(),
            },
            timeout=20,
        )
        assert created.status_code == 201, created.text
        link = created.json()["snapshot"]["space"]["share_link"]
        server.stop()

        server = EmbeddedServer(tmp_path / "server", local_port=18472)
        assert start(server, lan=False) == url, "the same port after a restart"
        preview = httpx.get(link, headers={"Accept": "application/json"}, timeout=20).json()
        assert preview["title"] == "Friday show" and preview["status"] == "scheduled"
    finally:
        server.stop()
