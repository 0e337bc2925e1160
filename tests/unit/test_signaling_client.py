"""The REST client against httpx.MockTransport: routes, parsing, error mapping and the retry rule."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from spaces_desktop import errors as base
from spaces_desktop.domain import CameraSource, Role
from spaces_desktop.protocol import StreamChoice
from spaces_desktop.signaling import (
    ApiError,
    BackendUnreachable,
    Backoff,
    BadResponse,
    Conflict,
    Forbidden,
    InvalidRequest,
    MediaUnavailable,
    NotFound,
    ParticipantClient,
    RateLimited,
    ServerUnavailable,
    SpacesClient,
    Unauthorized,
)

BASE = "http://spaces.test:8470"
NOW = datetime(2026, 1, 1, tzinfo=UTC).isoformat()

PARTICIPANT = {"id": "p_1", "display_name": "Ada", "role": "listener"}
SPACE = {
    "id": "sp1",
    "title": "Morning",
    "video_enabled": True,
    "status": "live",
    "host_id": "p_h",
    "created_at": NOW,
    "scheduled_for": None,
    "started_at": NOW,
    "ended_at": None,
    "share_link": f"{BASE}/s/sp1",
}
SNAPSHOT = {"space": SPACE, "participants": [PARTICIPANT], "streams": [], "you": "p_1", "last_event_id": 4}
JOINED = {"token": "tok", "participant": PARTICIPANT, "snapshot": SNAPSHOT}


class Recorder:
    """A MockTransport handler that answers from a script and keeps every request."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def body(self, index: int = -1) -> Any:
        return json.loads(self.requests[index].content) if self.requests[index].content else None


def make(recorder: Recorder, attempts: int = 3) -> tuple[SpacesClient, list[float]]:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    http = httpx.AsyncClient(transport=httpx.MockTransport(recorder))
    client = SpacesClient(BASE, http=http, retry=Backoff(attempts=attempts, first_delay=0.1), sleep=sleep)
    return client, waits


def me(recorder: Recorder) -> ParticipantClient:
    return make(recorder)[0].participant("sp1", "tok")


def error(status: int, code: str, message: str = "No.") -> httpx.Response:
    return httpx.Response(status, json={"error": code, "message": message})


# --- routes and parsing ------------------------------------------------------


async def test_create_join_preview_send_the_right_requests_and_parse_models() -> None:
    rec = Recorder(httpx.Response(201, json=JOINED))
    client, _ = make(rec)
    joined = await client.create_space("Morning", "Hana", video_enabled=True, client_id="install-123")
    assert joined.snapshot.space.id == "sp1" and joined.token == "tok"
    assert (rec.requests[0].method, str(rec.requests[0].url)) == ("POST", f"{BASE}/spaces")
    assert rec.body() == {
        "title": "Morning",
        "host_name": "Hana",
        "video_enabled": True,
        "client_id": "install-123",
    }
    assert "authorization" not in rec.requests[0].headers

    await client.join("sp1", "Ada")
    assert str(rec.requests[-1].url) == f"{BASE}/spaces/sp1/join"
    assert rec.body() == {"display_name": "Ada"}

    rec.answers = [
        httpx.Response(
            200,
            json={
                "id": "sp1",
                "title": "Morning",
                "video_enabled": True,
                "status": "live",
                "host_name": "Hana",
                "listeners": 3,
                "speakers": 1,
            },
        )
    ]
    preview = await client.preview("sp1")
    assert preview.listeners == 3 and rec.requests[-1].method == "GET"


def participant_calls() -> list[tuple[str, Callable[[ParticipantClient], Awaitable[object]], str, str, Any]]:
    """(name, call, method, path after /spaces/sp1, body) for every participant route."""
    offer = {"type": "offer", "sdp": "v=0"}
    return [
        ("snapshot", lambda p: p.snapshot(), "GET", "", None),
        ("start", lambda p: p.start(), "POST", "/start", None),
        ("end", lambda p: p.end(), "POST", "/end", None),
        ("leave", lambda p: p.leave(), "POST", "/me/leave", None),
        ("request_to_speak", lambda p: p.request_to_speak(), "POST", "/me/speak-request", None),
        ("cancel_request", lambda p: p.cancel_request(), "DELETE", "/me/speak-request", None),
        ("accept_invite", lambda p: p.accept_invite(), "POST", "/me/invite/accept", None),
        ("decline_invite", lambda p: p.decline_invite(), "POST", "/me/invite/decline", None),
        ("raise_hand", lambda p: p.raise_hand(False), "POST", "/me/hand", {"raised": False}),
        (
            "set_camera",
            lambda p: p.set_camera(True, CameraSource.SECOND),
            "POST",
            "/me/camera",
            {"on": True, "source": "second"},
        ),
        ("react", lambda p: p.react("👏"), "POST", "/reactions", {"emoji": "👏"}),
        (
            "set_role",
            lambda p: p.set_role("p_2", Role.SPEAKER),
            "POST",
            "/participants/p_2/role",
            {"role": "speaker"},
        ),
        ("invite", lambda p: p.invite("p_2"), "POST", "/participants/p_2/invite", None),
        (
            "decline_request",
            lambda p: p.decline_request("p_2"),
            "POST",
            "/participants/p_2/decline-request",
            None,
        ),
        ("mute", lambda p: p.mute("p_2"), "POST", "/participants/p_2/mute", {"muted": True}),
        ("remove", lambda p: p.remove("p_2"), "POST", "/participants/p_2/remove", None),
        ("publish", lambda p: p.publish("v=0"), "POST", "/media/publish", offer),
        ("unpublish", lambda p: p.unpublish(), "POST", "/media/unpublish", None),
        ("subscribe", lambda p: p.subscribe(), "POST", "/media/subscribe", {}),
        (
            "subscribe_answer",
            lambda p: p.subscribe_answer("v=0"),
            "POST",
            "/media/subscribe/answer",
            {"type": "answer", "sdp": "v=0"},
        ),
    ]


ANSWERS: dict[str, httpx.Response] = {
    "snapshot": httpx.Response(200, json=SNAPSHOT),
    "start": httpx.Response(200, json=SPACE),
    "publish": httpx.Response(200, json={"type": "answer", "sdp": "v=0 answer"}),
    "subscribe": httpx.Response(200, json={"type": "offer", "sdp": "v=0 offer", "streams": []}),
}
NO_CONTENT = {"end", "leave", "react", "remove", "unpublish", "subscribe_answer"}


def answer_for(name: str) -> httpx.Response:
    if name in ANSWERS:
        return ANSWERS[name]
    return httpx.Response(204) if name in NO_CONTENT else httpx.Response(200, json=PARTICIPANT)


@pytest.mark.parametrize(("name", "call", "method", "path", "body"), participant_calls())
async def test_every_participant_route(
    name: str, call: Callable[[ParticipantClient], Awaitable[object]], method: str, path: str, body: Any
) -> None:
    rec = Recorder(answer_for(name))
    result = await call(me(rec))
    [request] = rec.requests
    assert (request.method, str(request.url)) == (method, f"{BASE}/spaces/sp1{path}")
    assert request.headers["authorization"] == "Bearer tok"
    assert rec.body() == body
    if name == "publish":
        assert result == "v=0 answer"
    elif name in NO_CONTENT:
        assert result is None
    else:
        assert result is not None


async def test_subscribe_with_chosen_streams() -> None:
    rec = Recorder(ANSWERS["subscribe"])
    await me(rec).subscribe([StreamChoice(participant_id="p_2", mid="0")])
    assert rec.body() == {"streams": [{"participant_id": "p_2", "mid": "0"}]}


async def test_ids_cannot_reshape_the_path() -> None:
    rec = Recorder(httpx.Response(200, json=PARTICIPANT))
    await me(rec).invite("../../end")
    assert rec.requests[0].url.raw_path == b"/spaces/sp1/participants/..%2F..%2Fend/invite"


async def test_bad_input_fails_locally_like_the_backend_would() -> None:
    rec = Recorder(httpx.Response(200, json=PARTICIPANT))
    with pytest.raises(InvalidRequest, match="emoji") as caught:
        await me(rec).react("hi")
    assert caught.value.code == "invalid_request" and caught.value.status == 422
    with pytest.raises(InvalidRequest, match="title"):
        await make(rec)[0].create_space("  ", "Hana")
    assert rec.requests == []


async def test_answer_of_the_wrong_shape_is_bad_response() -> None:
    rec = Recorder(httpx.Response(200, json={"hello": "world"}))
    with pytest.raises(BadResponse, match="doesn't understand"):
        await me(rec).snapshot()
    rec.answers = [httpx.Response(200, text="<html>captive portal</html>")]
    with pytest.raises(BadResponse):
        await me(rec).snapshot()


# --- error mapping -----------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code", "kind", "product_kind"),
    [
        (400, "invalid_sdp", InvalidRequest, base.InvalidInput),
        (413, "too_large", InvalidRequest, base.InvalidInput),
        (422, "invalid_request", InvalidRequest, base.InvalidInput),
        (401, "left", Unauthorized, base.Unauthorized),
        (403, "removed", Forbidden, base.Forbidden),
        (403, "banned", Forbidden, base.Forbidden),
        (404, "not_found", NotFound, base.NotFound),
        (409, "stage_full", Conflict, base.Conflict),
        (409, "space_ended", Conflict, base.Conflict),
        (503, "media_unavailable", MediaUnavailable, base.MediaServerError),
        (500, "internal", ServerUnavailable, base.SpacesError),
        (405, "method_not_allowed", ApiError, base.SpacesError),
    ],
)
async def test_status_maps_to_a_typed_error_keeping_the_backend_code(
    status: int, code: str, kind: type[ApiError], product_kind: type[base.SpacesError]
) -> None:
    rec = Recorder(error(status, code, "Said the backend."))
    with pytest.raises(kind) as caught:
        await me(rec).accept_invite()
    assert type(caught.value) is kind
    assert isinstance(caught.value, product_kind)
    assert (caught.value.status, caught.value.code, caught.value.message) == (
        status,
        code,
        "Said the backend.",
    )


async def test_error_without_json_body_is_still_typed() -> None:
    rec = Recorder(httpx.Response(502, text="Bad Gateway"))
    with pytest.raises(ServerUnavailable, match="502") as caught:
        await me(rec).accept_invite()
    assert caught.value.code == "http_error"
    rec.answers = [httpx.Response(400, text="nope")]
    with pytest.raises(BadResponse):
        await me(rec).accept_invite()


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError("refused"),
        httpx.ConnectTimeout("slow"),
        httpx.ReadTimeout("silent"),
        httpx.RemoteProtocolError("peer closed"),
    ],
)
async def test_network_failures_are_backend_unreachable_with_a_readable_sentence(failure: Exception) -> None:
    rec = Recorder(failure)
    with pytest.raises(BackendUnreachable) as caught:
        await me(rec).accept_invite()
    assert str(caught.value) == (
        f"Can't reach the Spaces server at {BASE}. Check your connection or the server address."
    )
    assert isinstance(caught.value, base.SpacesError)


# --- the retry rule ----------------------------------------------------------

IDEMPOTENT = {
    "snapshot",
    "end",
    "cancel_request",
    "raise_hand",
    "set_camera",
    "set_role",
    "mute",
    "unpublish",
}


@pytest.mark.parametrize(("name", "call", "method", "path", "body"), participant_calls())
@pytest.mark.parametrize("failure", [error(503, "media_unavailable"), httpx.ConnectError("refused")])
async def test_only_idempotent_calls_are_retried(
    name: str,
    call: Callable[[ParticipantClient], Awaitable[object]],
    method: str,
    path: str,
    body: Any,
    failure: httpx.Response | Exception,
) -> None:
    rec = Recorder(failure, failure, answer_for(name))
    client, waits = make(rec)
    if name in IDEMPOTENT:
        await call(client.participant("sp1", "tok"))
        assert len(rec.requests) == 3 and len(waits) == 2
        assert all(0 <= w <= 0.1 * 2**i for i, w in enumerate(waits))
    else:
        with pytest.raises((ServerUnavailable, BackendUnreachable)):
            await call(client.participant("sp1", "tok"))
        assert len(rec.requests) == 1 and waits == []


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.create_space("T", "Hana"),
        lambda c: c.join("sp1", "Ada"),
    ],
)
async def test_create_and_join_are_never_retried(call: Callable[[SpacesClient], Awaitable[object]]) -> None:
    rec = Recorder(httpx.ConnectError("refused"), httpx.Response(201, json=JOINED))
    client, _ = make(rec)
    with pytest.raises(BackendUnreachable):
        await call(client)
    assert len(rec.requests) == 1


async def test_retries_are_bounded_and_the_last_error_surfaces() -> None:
    rec = Recorder(error(503, "media_unavailable", "Janus is restarting."))
    client, waits = make(rec, attempts=4)
    with pytest.raises(MediaUnavailable, match="Janus is restarting"):
        await client.preview("sp1")
    assert len(rec.requests) == 4 and len(waits) == 3


@pytest.mark.parametrize("status", [500, 401, 404, 409])
async def test_refusals_and_server_bugs_are_not_retried(status: int) -> None:
    rec = Recorder(error(status, "x"))
    client, _ = make(rec)
    with pytest.raises(ApiError):
        await client.participant("sp1", "tok").snapshot()
    assert len(rec.requests) == 1


async def test_retry_policy_is_configurable() -> None:
    rec = Recorder(httpx.ConnectError("refused"))
    client, waits = make(rec, attempts=1)
    with pytest.raises(BackendUnreachable):
        await client.preview("sp1")
    assert len(rec.requests) == 1 and waits == []


def test_backoff_grows_and_is_capped() -> None:
    policy = Backoff(attempts=None, first_delay=1.0, max_delay=5.0)
    for retry, ceiling in [(0, 1.0), (1, 2.0), (2, 4.0), (3, 5.0), (40, 5.0)]:
        assert all(0 <= policy.delay(retry) <= ceiling for _ in range(50))
    assert policy.allows(10**6)
    assert Backoff(attempts=3).allows(2) and not Backoff(attempts=3).allows(3)


async def test_own_http_client_is_closed_and_injected_one_is_not() -> None:
    owned = SpacesClient(BASE)
    await owned.aclose()
    assert owned.http.is_closed
    http = httpx.AsyncClient(transport=httpx.MockTransport(Recorder(httpx.Response(204))))
    async with SpacesClient(BASE, http=http):
        pass
    assert not http.is_closed
    await http.aclose()


# --- 429: slow down -------------------------------------------------------------


def slow_down(retry_after: str | None = "2") -> httpx.Response:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    body = {"error": "rate_limited", "message": "Too many requests; try again in 2 seconds."}
    return httpx.Response(429, json=body, headers=headers)


@pytest.mark.parametrize(("name", "call", "method", "path", "body"), participant_calls())
async def test_a_429_is_waited_out_for_idempotent_calls_and_surfaced_for_the_rest(
    name: str,
    call: Callable[[ParticipantClient], Awaitable[object]],
    method: str,
    path: str,
    body: Any,
) -> None:
    rec = Recorder(slow_down(), answer_for(name))
    client, waits = make(rec)
    if name in IDEMPOTENT:
        await call(client.participant("sp1", "tok"))
        assert len(rec.requests) == 2 and waits == [2.0]
    else:
        with pytest.raises(RateLimited) as caught:
            await call(client.participant("sp1", "tok"))
        assert caught.value.message == "Too many requests; try again in 2 seconds."
        assert caught.value.retry_after == 2.0 and caught.value.code == "rate_limited"
        assert len(rec.requests) == 1 and waits == []


async def test_a_long_retry_after_is_handed_to_the_caller() -> None:
    rec = Recorder(slow_down("120"), httpx.Response(200, json=SNAPSHOT))
    client, waits = make(rec)
    with pytest.raises(RateLimited) as caught:
        await client.participant("sp1", "tok").snapshot()
    assert caught.value.retry_after == 120.0 and len(rec.requests) == 1 and waits == []


@pytest.mark.parametrize("retry_after", [None, "soon", "nan", "-5"])
async def test_a_429_from_a_proxy_still_reads_as_a_sentence(retry_after: str | None) -> None:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    rec = Recorder(httpx.Response(429, text="<html>slow down</html>", headers=headers))
    client, _ = make(rec, attempts=1)
    with pytest.raises(RateLimited) as caught:
        await client.participant("sp1", "tok").react("👏")
    assert caught.value.message == "The Spaces server is busy; try again in a moment."
    assert 0.0 <= caught.value.retry_after <= 1.0
