"""Floods: request limits on every POST, batched reactions, streams that start now, stalled sockets.

The `limited` backend runs with every limit at a tenth of the default
(`--rate-limit-scale 0.1`), trusts 127.0.0.99 as its reverse proxy and closes
a connection whose request is not in after 2 s. Each test talks from a
loopback source address of its own, so tests do not share an address bucket.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from spaces_desktop.signaling import RateLimited, SpacesClient
from tests.support.api import EventLog, create_space, join
from tests.support.backend import Backend

PROXY = "127.0.0.99"
REQUEST_TIMEOUT_S = 2.0


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    folder = tmp_path_factory.mktemp("limited")
    args = ["--rate-limit-scale", "0.1", "--trusted-proxy", PROXY]
    args += ["--request-timeout", str(REQUEST_TIMEOUT_S)]
    server = Backend(folder / "data", folder / "backend.log", extra_args=args)
    server.start()
    yield server
    server.stop()


def http_from(backend: Backend, source: str, token: str | None = None) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(
        base_url=backend.url,
        # Idle connections expire before the backend's 2 s request deadline closes them, so a
        # request never goes down a connection the server is just closing.
        transport=httpx.AsyncHTTPTransport(
            local_address=source, limits=httpx.Limits(keepalive_expiry=REQUEST_TIMEOUT_S / 2)
        ),
        headers=headers,
        timeout=20,
        trust_env=False,
    )


async def enter(http: httpx.AsyncClient, path: str, body: dict[str, Any], **kwargs: Any) -> httpx.Response:
    return await http.post(path, json=body, **kwargs)


def assert_rate_limited(response: httpx.Response) -> None:
    assert response.status_code == 429, (response.status_code, response.text)
    assert int(response.headers["retry-after"]) >= 1
    body = response.json()
    assert body["error"] == "rate_limited"
    assert body["message"].endswith("."), body  # a sentence for people, nothing internal


async def until_limited(send: Any, attempts: int = 30) -> tuple[list[int], httpx.Response]:
    """Sends until a 429 (bounded); the statuses before it and the 429 itself."""
    before: list[int] = []
    for _ in range(attempts):
        response = await send()
        if response.status_code == 429:
            return before, response
        before.append(response.status_code)
    raise AssertionError(f"no 429 after {attempts} requests: {before}")


async def test_every_post_class_answers_429_with_retry_after(limited: Backend) -> None:
    source = "127.0.0.11"
    async with http_from(limited, source) as anyone:
        created = await enter(anyone, "/spaces", {"title": "Limits", "host_name": "Hana"})
        assert created.status_code == 201, created.text
        space_id = created.json()["snapshot"]["space"]["id"]
        tokens = []
        for i in range(5):
            joined = await enter(anyone, f"/spaces/{space_id}/join", {"display_name": f"Guest {i}"})
            assert joined.status_code == 201, joined.text
            tokens.append(joined.json()["token"])
        # Joining and creating share one bucket per address: this address has used its burst.
        _, refused = await until_limited(
            lambda: enter(anyone, f"/spaces/{space_id}/join", {"display_name": "One more"})
        )
        assert_rate_limited(refused)
        assert_rate_limited(await enter(anyone, "/spaces", {"title": "Another", "host_name": "Hana"}))

    base = f"/spaces/{space_id}"
    calls = [
        ("POST", "/me/hand", {"raised": True}),
        ("POST", "/me/camera", {"on": False}),
        ("POST", "/me/speak-request", None),
        ("POST", "/media/publish", {"type": "offer", "sdp": "v=0"}),
        ("POST", "/reactions", {"emoji": "👏"}),
    ]
    for token, (method, path, body) in zip(tokens, calls, strict=True):
        async with http_from(limited, source, token) as me:

            def send(
                me: httpx.AsyncClient = me, method: str = method, url: str = base + path, body: Any = body
            ) -> Any:
                return me.request(method, url, json=body)

            accepted, refused = await until_limited(send)
            assert accepted and 429 not in accepted, (path, accepted)  # each token starts with its burst
            assert_rate_limited(refused)

    # The event stream counts reconnections per token.
    async with http_from(limited, source, tokens[0]) as me:

        async def open_stream() -> httpx.Response:
            async with me.stream("GET", base + "/events") as response:
                return response

        _, refused = await until_limited(open_stream)
        assert refused.status_code == 429

    # The app's client reads the refusal as a typed error with the server's sentence.
    async with http_from(limited, source) as http, SpacesClient(limited.url, http=http) as client:
        with pytest.raises(RateLimited) as caught:
            for _ in range(10):  # the bucket may have refilled by one while the test ran
                await client.join(space_id, "Typed")
        assert caught.value.retry_after >= 1 and "try again" in caught.value.message


async def test_forwarded_for_is_honoured_only_from_the_trusted_proxy(limited: Backend) -> None:
    host = await create_space(limited.url, video=False)

    async def join_as(http: httpx.AsyncClient, client: str) -> int:
        response = await enter(
            http, f"/spaces/{host.space_id}/join", {"display_name": "P"}, headers={"X-Forwarded-For": client}
        )
        return response.status_code

    # From the proxy, every forwarded client has a bucket of its own...
    async with http_from(limited, PROXY) as proxy:
        assert [await join_as(proxy, f"203.0.113.{i}") for i in range(10)] == [201] * 10
        repeated = [await join_as(proxy, "203.0.113.1") for _ in range(10)]
        assert repeated[0] == 201 and 429 in repeated
    # ...from anyone else the header is ignored: changing it does not buy new joins.
    async with http_from(limited, "127.0.0.12") as direct:
        rotating = [await join_as(direct, f"198.51.100.{i}") for i in range(10)]
    assert rotating[0] == 201 and 429 in rotating
    await host.aclose()


async def test_half_open_sockets_are_closed_after_the_request_timeout(limited: Backend) -> None:
    async with http_from(limited, "127.0.0.13") as anyone:
        created = (await enter(anyone, "/spaces", {"title": "Stalls", "host_name": "Hana"})).json()
    space_id, token = created["snapshot"]["space"]["id"], created["token"]
    # A finished request may stream for as long as it likes: this stream must outlive the deadline.
    async with (
        http_from(limited, "127.0.0.13", token) as host,
        host.stream("GET", f"/spaces/{space_id}/events", timeout=30) as stream,
    ):
        assert stream.status_code == 200
        stalled = []
        for _ in range(40):
            reader, writer = await asyncio.open_connection("127.0.0.1", limited.port)
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Half: ")
            stalled.append((reader, writer, time.monotonic()))
        reader, trickler = await asyncio.open_connection("127.0.0.1", limited.port)
        opened = time.monotonic()

        async def closed(reader: asyncio.StreamReader, since: float) -> float:
            """Seconds from opening until the backend hung up."""
            while await asyncio.wait_for(reader.read(4096), 15):
                pass
            return time.monotonic() - since

        async def trickle() -> None:
            # One header byte every 0.3 s: always busy, never done.
            for byte in b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100:
                if trickler.is_closing():
                    return
                trickler.write(bytes([byte]))
                await asyncio.sleep(0.3)

        trickling = asyncio.ensure_future(trickle())
        # Others are served meanwhile.
        assert (await host.get("/healthz")).status_code == 200
        times = await asyncio.gather(*(closed(r, t) for r, _, t in stalled), closed(reader, opened))
        trickling.cancel()
        assert max(times) < REQUEST_TIMEOUT_S + 6, times
        assert min(times) >= REQUEST_TIMEOUT_S - 0.2, times  # not before the deadline

        await host.post(f"/spaces/{space_id}/me/hand", json={"raised": True})
        lines = stream.aiter_lines()
        async with asyncio.timeout(10):
            async for line in lines:
                if line.startswith("data: ") and json.loads(line[6:])["type"] == "participant_updated":
                    break
        for _, writer, _ in stalled:
            writer.close()
        trickler.close()


async def test_reactions_are_batched_into_few_events(backend: Backend) -> None:
    host = await create_space(backend.url, video=False)
    clapper = await join(backend.url, host.space_id, "Clapper")
    other = await join(backend.url, host.space_id, "Other")
    before = (await host.get()).json()["last_event_id"]

    # Two people within one interval: one event carrying both.
    await clapper.post("/reactions", {"emoji": "👏"}, expect=204)
    await other.post("/reactions", {"emoji": "🔥"}, expect=204)
    log = EventLog(host, last_event_id=before)
    pair = await log.wait_type("reaction")
    assert pair["data"]["counts"] == {"👏": 1, "🔥": 1} and pair["data"]["total"] == 2
    assert {(s["participant_id"], s["emoji"]) for s in pair["data"]["senders"]} == {
        (clapper.id, "👏"),
        (other.id, "🔥"),
    }

    # One listener as fast as it can: limited per token, and never more than one event per interval.
    started = time.monotonic()
    statuses: list[int] = []

    async def clap() -> None:
        for _ in range(25):
            statuses.append((await clapper.post("/reactions", {"emoji": "👏"}, expect=None)).status_code)

    await asyncio.gather(*(clap() for _ in range(8)))
    elapsed = time.monotonic() - started
    accepted = statuses.count(204)
    assert statuses.count(429) > 0 and accepted + statuses.count(429) == len(statuses)
    await asyncio.sleep(1.0)
    end = (await host.get()).json()["last_event_id"]
    await log.wait_for(lambda e: e["id"] >= end)
    batches = [e for e in log.events if e["type"] == "reaction" and e["id"] > pair["id"]]
    assert sum(e["data"]["total"] for e in batches) == accepted
    assert len(batches) <= elapsed / 0.3 + 2, (len(batches), accepted, elapsed)
    assert len(batches) < accepted
    await log.stop()
    for member in (host, clapper, other):
        await member.aclose()


async def test_a_stream_without_last_event_id_starts_now(backend: Backend) -> None:
    host = await create_space(backend.url, video=False)
    lee = await join(backend.url, host.space_id, "Lee")
    await lee.post("/me/hand", {"raised": True})
    history = (await lee.get()).json()["last_event_id"]

    now = EventLog(lee, last_event_id=None)
    resumed = EventLog(lee, last_event_id=history - 2)
    await asyncio.wait_for(asyncio.gather(now.ready.wait(), resumed.ready.wait()), 10)
    await lee.post("/me/hand", {"raised": False})
    lowered = await now.wait_for(lambda e: e["type"] == "participant_updated")
    assert lowered["data"]["change"] == "hand_lowered"
    assert [e["id"] for e in now.events] == [lowered["id"]]  # nothing from before it opened
    # With Last-Event-ID the log is replayed from there, in order, then live.
    await resumed.wait_for(lambda e: e["id"] == lowered["id"])
    ids = [e["id"] for e in resumed.events]
    assert ids == sorted(set(ids)) and ids[0] > history - 2 and history in ids and ids[-1] == lowered["id"]
    for stream in (now, resumed):
        await stream.stop()
    await host.aclose()
    await lee.aclose()
