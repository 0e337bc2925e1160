"""Spaces scheduled for later, end to end on the real backend (and Janus).

The listing route answers only for the host tokens it is sent; the real Engine
creates a Space for later without opening anything, finds it upcoming, starts
it and is live in it, or cancels it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from spaces_desktop.domain import CameraSource, SpaceStatus
from spaces_desktop.domain.state import Connection, SessionState
from spaces_desktop.errors import SpacesError
from spaces_desktop.protocol.models import MAX_SCHEDULED_QUERY
from spaces_desktop.session.engine import Engine
from spaces_desktop.session.local_media import NONE, DeviceChoice
from spaces_desktop.session.port import EnginePort
from tests.support.backend import Backend


def _later(hours: float = 2) -> datetime:
    return (datetime.now(UTC) + timedelta(hours=hours)).replace(microsecond=0)


async def _schedule(http: httpx.AsyncClient, title: str, when: datetime) -> dict:
    created = await http.post(
        "/spaces", json={"title": title, "host_name": "Ann", "scheduled_for": when.isoformat()}
    )
    assert created.status_code == 201, created.text
    return created.json()


async def test_only_the_host_tokens_sent_list_their_spaces(backend: Backend) -> None:
    async with httpx.AsyncClient(base_url=backend.url, trust_env=False) as http:
        mine = await _schedule(http, "Mine, later", _later(5))
        sooner = await _schedule(http, "Mine, sooner", _later(1))
        theirs = await _schedule(http, "Someone else's", _later(3))
        live = (await http.post("/spaces", json={"title": "Live now", "host_name": "Ann"})).json()
        guest = await http.post(
            f"/spaces/{theirs['snapshot']['space']['id']}/join", json={"display_name": "Gus"}
        )
        guest_token = guest.json()["token"]

        listed = await http.post(
            "/scheduled-spaces",
            json={"tokens": [mine["token"], sooner["token"], live["token"], guest_token, "x" * 43]},
        )
        assert listed.status_code == 200
        spaces = listed.json()["spaces"]
        # Soonest first; a live Space, a listener's token and an unknown token list nothing.
        assert [s["title"] for s in spaces] == ["Mine, sooner", "Mine, later"]
        assert spaces[0]["share_link"].endswith("/s/" + sooner["snapshot"]["space"]["id"])
        assert "token" not in spaces[0] and "host_id" not in spaces[0]

        # Started or cancelled: no longer listed.
        headers = {"Authorization": f"Bearer {sooner['token']}"}
        started = await http.post(f"/spaces/{sooner['snapshot']['space']['id']}/start", headers=headers)
        assert started.status_code == 200
        headers = {"Authorization": f"Bearer {mine['token']}"}
        ended = await http.post(f"/spaces/{mine['snapshot']['space']['id']}/end", headers=headers)
        assert ended.status_code == 204
        again = await http.post("/scheduled-spaces", json={"tokens": [mine["token"], sooner["token"]]})
        assert again.json()["spaces"] == []


async def test_bad_listing_requests_get_a_sentence(backend: Backend) -> None:
    async with httpx.AsyncClient(base_url=backend.url, trust_env=False) as http:
        for body in (
            {},
            {"tokens": "abc"},
            {"tokens": ["short"]},
            {"tokens": ["not a token at all, spaces!"]},
            {"tokens": ["a" * 43] * (MAX_SCHEDULED_QUERY + 1)},
            {"tokens": [], "client_id": "someone-else"},
        ):
            answer = await http.post("/scheduled-spaces", json=body)
            assert answer.status_code == 422, (body, answer.text)
            assert answer.json()["error"] == "invalid_request" and answer.json()["message"], body
        assert (await http.post("/scheduled-spaces", content=b"{nope")).status_code == 422
        assert (await http.post("/scheduled-spaces", json={"tokens": []})).json() == {"spaces": []}


def _wait(
    engine_states: list[SessionState], check: Callable[[SessionState], bool], timeout: float = 15.0
) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if engine_states and check(engine_states[-1]):
            return True
        time.sleep(0.05)
    return False


def test_engine_schedules_finds_starts_and_goes_live(backend: Backend) -> None:
    states: list[SessionState] = []
    engine: EnginePort = Engine(states.append, play_audio=False)
    devices = DeviceChoice(camera="synthetic", microphone=NONE, label="Ann")
    try:
        when = _later(1)
        made = engine.create_space(
            backend.url, "Launch, later", "Ann", True, devices, scheduled_for=when
        ).result(10)
        assert made is not None and made.token and made.starts_at == when
        assert engine.session is None and not states  # nothing opened for a Space made for later

        kept = {made.link: made.token, f"{backend.url}/s/NoSuchSpace1": "y" * 43}
        upcoming = engine.upcoming(kept).result(10)
        assert [(s.link, s.title, s.starts_at) for s in upcoming.spaces] == [
            (made.link, "Launch, later", when)
        ]
        assert upcoming.gone == {f"{backend.url}/s/NoSuchSpace1"} and not upcoming.unreachable

        engine.start_space(made.link, made.token, devices).result(20)
        assert _wait(states, lambda s: s.connection is Connection.LIVE and s.space is not None)
        space = states[-1].space
        assert space is not None and space.status is SpaceStatus.LIVE and space.title == "Launch, later"
        me = states[-1].myself
        assert me is not None and me.role.value == "host"
        # Live means the host can go on camera: media is set up against Janus.
        engine.set_camera(CameraSource.MAIN, True).result(10)
        assert _wait(states, lambda s: bool(s.myself and s.myself.camera_on))
        assert engine.upcoming({made.link: made.token}).result(10).gone == {made.link}
    finally:
        engine.leave().result(10)
        engine.shutdown()


def test_engine_cancels_a_space_and_a_dead_server_is_unreachable(backend: Backend) -> None:
    engine: EnginePort = Engine(lambda _: None, play_audio=False)
    try:
        made = engine.create_space(
            backend.url, "Called off", "Ann", False, DeviceChoice(label="Ann"), scheduled_for=_later(4)
        ).result(10)
        assert made is not None and made.token
        engine.cancel_space(made.link, made.token).result(10)
        dead = "http://127.0.0.1:9/s/Gone123"  # the discard port: nothing listens on loopback
        answer = engine.upcoming({made.link: made.token, dead: "z" * 43}).result(20)
        assert answer.spaces == () and answer.gone == {made.link} and answer.unreachable == {dead}
        # Starting a cancelled Space fails with a sentence and leaves nothing open.
        with pytest.raises(SpacesError) as refused:
            engine.start_space(made.link, made.token, DeviceChoice(label="Ann")).result(10)
        assert refused.value.message == "This Space has ended."
        assert engine.session is None
    finally:
        engine.shutdown()
