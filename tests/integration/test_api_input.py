"""Every endpoint against malformed, oversized and unauthorized input: always a 4xx JSON error."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.api import Member, create_space, join
from tests.support.backend import Backend

PUBLIC = {
    ("post", "/spaces"),
    ("get", "/spaces/{space_id}/preview"),
    ("post", "/spaces/{space_id}/join"),
    ("get", "/healthz"),
    # No bearer: the host tokens it asks after are in the body (tests/integration/test_scheduling.py).
    ("post", "/scheduled-spaces"),
}


@pytest.fixture(scope="module")
def backend(unlimited_backend: Backend) -> Backend:
    # Hundreds of bad requests in a row, on purpose: what is tested is each answer, not the limits.
    return unlimited_backend


def endpoints(base: str) -> list[tuple[str, str]]:
    spec = httpx.get(f"{base}/openapi.json", timeout=5).json()
    return [(method, path) for path, item in spec["paths"].items() for method in item]


def fill(path: str, space_id: str, participant_id: str) -> str:
    return path.replace("{space_id}", space_id).replace("{participant_id}", participant_id)


def assert_error(response: httpx.Response, *statuses: int) -> dict[str, Any]:
    assert response.status_code in statuses, (response.status_code, response.text)
    body = response.json()
    assert set(body) == {"error", "message"} and body["message"], body
    return dict(body)


@pytest.fixture
async def space(backend: Backend) -> tuple[Member, Member]:
    host = await create_space(backend.url)
    listener = await join(backend.url, host.space_id, "Lee")
    return host, listener


async def test_openapi_lists_every_route(backend: Backend) -> None:
    routes = endpoints(backend.url)
    assert len(routes) >= 24
    assert ("post", "/spaces/{space_id}/media/publish") in routes


async def test_every_private_endpoint_needs_a_valid_token(
    backend: Backend, space: tuple[Member, Member]
) -> None:
    host, listener = space
    async with httpx.AsyncClient(base_url=backend.url, trust_env=False, timeout=5) as http:
        for method, path in endpoints(backend.url):
            if (method, path) in PUBLIC:
                continue
            url = fill(path, host.space_id, listener.id)
            kwargs: dict[str, Any] = {} if method in ("get", "delete") else {"json": {}}
            assert_error(await http.request(method, url, **kwargs), 401)
            wrong = {"Authorization": "Bearer " + "x" * 43}
            assert_error(await http.request(method, url, headers=wrong, **kwargs), 401)
            # A token from another Space does not open this one.
            other = await create_space(backend.url)
            foreign = {"Authorization": f"Bearer {other.token}"}
            assert_error(await http.request(method, url, headers=foreign, **kwargs), 401)
            await other.aclose()


async def test_every_endpoint_rejects_malformed_and_oversized_bodies(
    backend: Backend, space: tuple[Member, Member]
) -> None:
    host, listener = space
    auth = {"Authorization": f"Bearer {host.token}", "Content-Type": "application/json"}
    async with httpx.AsyncClient(base_url=backend.url, trust_env=False, timeout=5) as http:
        for method, path in endpoints(backend.url):
            if method != "post":
                continue
            url = fill(path, host.space_id, listener.id)
            takes_body = path not in (
                "/spaces/{space_id}/start",
                "/spaces/{space_id}/end",
            ) and not path.endswith(
                (
                    "/leave",
                    "/speak-request",
                    "/accept",
                    "/decline",
                    "/invite",
                    "/decline-request",
                    "/remove",
                    "/unpublish",
                    "/admit",
                    "/deny",
                    "/events/ticket",
                    "/on-stage",
                )
            )
            big = await http.post(url, content=b'{"x": "' + b"a" * 200_000 + b'"}', headers=auth)
            assert_error(big, 413)
            if takes_body:
                assert_error(await http.post(url, content=b"{not json", headers=auth), 400, 422)
                assert_error(await http.post(url, content=b"[1, 2, 3]", headers=auth), 400, 422)
                assert_error(
                    await http.post(url, json={"unexpected": True, "sdp": 5, "role": "king"}, headers=auth),
                    400,
                    422,
                )
        unknown = await http.get(f"/spaces/{host.space_id}/nope", headers=auth)
        assert_error(unknown, 404)


async def test_field_validation_messages(backend: Backend) -> None:
    async with httpx.AsyncClient(base_url=backend.url, trust_env=False, timeout=5) as http:
        cases: list[dict[str, Any]] = [
            {"title": "", "host_name": "A"},
            {"title": "x" * 141, "host_name": "A"},
            {"title": "ok", "host_name": "A\u0000B"},
            {"title": "ok", "host_name": "A", "scheduled_for": "2020-01-01T00:00:00+00:00"},
            {"title": "ok", "host_name": "A", "scheduled_for": "2099-01-01T00:00:00+00:00"},
            {"title": "ok", "host_name": "A", "scheduled_for": "2026-12-01T00:00:00"},
            {"title": "ok", "host_name": "A", "video_enabled": "sometimes"},
            {"title": "ok", "host_name": "A", "client_id": "../../etc"},
        ]
        for case in cases:
            assert_error(await http.post("/spaces", json=case), 400, 422)
        assert_error(await http.post("/spaces/nope/join", json={"display_name": "A"}), 404)
        assert_error(await http.get("/spaces/nope/preview"), 404)


async def test_bad_sdp_is_a_400_with_a_sentence_for_people(
    backend: Backend, space: tuple[Member, Member]
) -> None:
    host, _ = space
    head = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\n"
    cases = {
        "hello": "v=0",
        head + "t=0 0\r\n": "m=",
        head + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=sendonly\r\n": "mid",
        head + "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\na=sendonly\r\n": "ice-ufrag",
    }
    for sdp, parser_finding in cases.items():
        body = assert_error(
            await host.post("/media/publish", {"type": "offer", "sdp": sdp}, expect=None), 400
        )
        # What the parser found goes to the server log; the client gets a sentence.
        assert body["error"] == "invalid_sdp" and parser_finding not in body["message"], body
        assert "session description" in body["message"], body
    wrong_type = await host.post("/media/publish", {"type": "answer", "sdp": "v=0"}, expect=None)
    assert_error(wrong_type, 400)
    bad_header = await host.http.get(f"/spaces/{host.space_id}/events", headers={"Last-Event-ID": "-3"})
    assert_error(bad_header, 400)
