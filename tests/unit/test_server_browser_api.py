"""The browser-facing parts of the API through the app itself (ASGI, no Janus): CORS, stream
tickets, STUN/TURN servers in the join response, codec checks, the share page."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from spaces_desktop.errors import InvalidInput
from spaces_desktop.server.app import create_app
from spaces_desktop.server.codecs import offered_codecs, require_room_codecs
from spaces_desktop.server.event_bus import EventBus
from spaces_desktop.server.ice import IceConfig
from spaces_desktop.server.service import SpacesService
from spaces_desktop.server.store import Store
from spaces_desktop.server.tickets import StreamTickets

SITE = "https://site.example"


def offer(video_codecs: list[str], audio_codecs: tuple[str, ...] = ("opus",)) -> str:
    lines = ["v=0", "o=- 1 1 IN IP4 0.0.0.0", "s=-", "t=0 0", "a=group:BUNDLE 0 1"]
    for mid, (kind, codecs) in enumerate((("audio", list(audio_codecs)), ("video", video_codecs))):
        payloads = " ".join(str(96 + i) for i in range(len(codecs)))
        lines += [
            f"m={kind} 9 UDP/TLS/RTP/SAVPF {payloads}",
            "c=IN IP4 0.0.0.0",
            f"a=mid:{mid}",
            "a=sendonly",
        ]
        lines += ["a=ice-ufrag:abcd", "a=ice-pwd:abcdefghijklmnopqrstuvwx", "a=fingerprint:sha-256 AA:BB"]
        lines += [f"a=rtpmap:{96 + i} {codec}/90000" for i, codec in enumerate(codecs)]
    return "\r\n".join(lines) + "\r\n"


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    store = Store(tmp_path / "spaces.sqlite3")
    ice = IceConfig(stun=("stun:stun.example:3478",), turn=("turn:turn.example:3478",), turn_secret="s3cret")
    service = SpacesService(store, EventBus(store), "http://spaces.test", ice)
    app = create_app(service, cors_origins=(SITE,))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://spaces.test"
    ) as http:
        yield http
    store.close()


async def new_space(http: httpx.AsyncClient) -> tuple[str, str, dict[str, object]]:
    response = await http.post("/spaces", json={"title": "Launch", "host_name": "Ava", "video_enabled": True})
    assert response.status_code == 201, response.text
    body = response.json()
    return body["snapshot"]["space"]["id"], body["token"], body


async def test_cors_answers_only_listed_origins(client: httpx.AsyncClient) -> None:
    allowed = await client.options(
        "/spaces",
        headers={
            "Origin": SITE,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert allowed.headers.get("access-control-allow-origin") == SITE
    other = await client.options(
        "/spaces", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    )
    assert "access-control-allow-origin" not in other.headers
    plain = await client.get("/healthz", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in plain.headers


async def test_join_hands_out_stun_and_per_participant_turn_credentials(client: httpx.AsyncClient) -> None:
    space_id, _, created = await new_space(client)
    joined = (await client.post(f"/spaces/{space_id}/join", json={"display_name": "Lee"})).json()
    servers = joined["ice_servers"]
    assert servers[0] == {"urls": ["stun:stun.example:3478"], "username": None, "credential": None}
    turn = servers[1]
    assert turn["urls"] == ["turn:turn.example:3478"]
    expiry, participant = turn["username"].split(":", 1)
    assert participant == joined["participant"]["id"] and int(expiry) > 0
    expected = base64.b64encode(
        hmac.new(b"s3cret", turn["username"].encode(), hashlib.sha1).digest()
    ).decode()
    assert turn["credential"] == expected
    assert created["ice_servers"][1]["username"] != turn["username"], "each participant has its own"
    assert "s3cret" not in str(joined)


async def test_stream_ticket_is_short_lived_and_needs_a_token(client: httpx.AsyncClient) -> None:
    space_id, token, _ = await new_space(client)
    refused = await client.post(f"/spaces/{space_id}/events/ticket")
    assert refused.status_code == 401
    issued = await client.post(
        f"/spaces/{space_id}/events/ticket", headers={"Authorization": f"Bearer {token}"}
    )
    assert issued.status_code == 200
    body = issued.json()
    assert len(body["ticket"]) >= 20 and 0 < body["expires_in"] <= 60
    assert body["ticket"] not in token


async def test_bad_ticket_is_refused_with_a_sentence(client: httpx.AsyncClient) -> None:
    space_id, _, _ = await new_space(client)
    response = await client.get(f"/spaces/{space_id}/events", params={"ticket": "not-a-ticket"})
    assert response.status_code == 401
    assert response.json()["error"] == "bad_ticket"


async def test_offer_without_the_rooms_codecs_gets_a_sentence(client: httpx.AsyncClient) -> None:
    space_id, token, _ = await new_space(client)
    headers = {"Authorization": f"Bearer {token}"}
    vp9 = await client.post(
        f"/spaces/{space_id}/media/publish", json={"type": "offer", "sdp": offer(["VP9"])}, headers=headers
    )
    assert vp9.status_code == 400, vp9.text
    assert vp9.json()["error"] == "unsupported_codec"
    assert "VP8" in vp9.json()["message"] and "H264" in vp9.json()["message"]
    # A VP8 offer passes the codec check (and only then finds this backend has no media server).
    vp8 = await client.post(
        f"/spaces/{space_id}/media/publish",
        json={"type": "offer", "sdp": offer(["VP9", "VP8"])},
        headers=headers,
    )
    assert vp8.status_code == 409 and vp8.json()["error"] != "unsupported_codec", vp8.text


async def test_share_link_is_a_page_for_browsers_and_json_for_programs(client: httpx.AsyncClient) -> None:
    space_id, _, _ = await new_space(client)
    page = await client.get(f"/s/{space_id}", headers={"Accept": "text/html,application/xhtml+xml"})
    assert page.status_code == 200 and "Launch" in page.text and "/web/player.js" in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    data = await client.get(f"/s/{space_id}", headers={"Accept": "application/json"})
    assert data.json()["title"] == "Launch"
    missing = await client.get("/s/nope", headers={"Accept": "text/html"})
    assert missing.status_code == 200 and "not found" in missing.text.lower()
    assert (await client.get("/web/player.css")).headers["content-type"].startswith("text/css")
    assert (await client.get("/web/player.html")).status_code == 404


def test_tickets_work_once_for_one_space_and_expire() -> None:
    now = [100.0]
    tickets = StreamTickets(ttl_s=30, clock=lambda: now[0])
    ticket = tickets.issue("space-a", "p1")
    assert tickets.redeem("space-b", ticket) is None, "another Space's ticket is no key here"
    ticket = tickets.issue("space-a", "p1")
    assert tickets.redeem("space-a", ticket) == "p1"
    assert tickets.redeem("space-a", ticket) is None, "spent"
    late = tickets.issue("space-a", "p1")
    now[0] += 31
    assert tickets.redeem("space-a", late) is None


def test_codecs_are_read_per_sending_line() -> None:
    assert offered_codecs(offer(["VP8", "rtx"])) == [("audio", {"opus"}), ("video", {"vp8", "rtx"})]
    require_room_codecs(offer(["H264"]))
    with pytest.raises(InvalidInput):
        require_room_codecs(offer(["VP8"], audio_codecs=("G722",)))
    receive_only = offer(["AV1"]).replace("a=sendonly", "a=recvonly")
    require_room_codecs(receive_only)  # nothing sent, nothing to refuse
