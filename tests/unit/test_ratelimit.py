"""Token buckets, route classes, client addresses and the 429 middleware, on a fake clock."""

from __future__ import annotations

import time

import httpx
from fastapi import FastAPI

from spaces_desktop.server.ratelimit import ClientAddress, Limits, Rate, RateLimit, TokenBuckets, route_class


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_its_burst_then_refills_at_its_rate() -> None:
    clock = Clock()
    buckets = TokenBuckets(Rate(burst=3, per_second=2), clock=clock)
    assert [buckets.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("a") == 0.5  # the next token is half a second away
    assert buckets.take("b") == 0.0  # keys do not share
    clock.now += 0.5
    assert buckets.take("a") == 0.0
    assert buckets.take("a") > 0
    clock.now += 100
    assert [buckets.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]  # back to a full burst, not more
    assert buckets.take("a") > 0


def test_idle_buckets_are_dropped_and_the_count_is_capped() -> None:
    clock = Clock()
    buckets = TokenBuckets(Rate(burst=4, per_second=1), max_keys=100, clock=clock)
    for i in range(50):
        buckets.take(f"k{i}")
    assert len(buckets) == 50
    clock.now += 4.0  # long enough to refill: forgotten
    buckets.take("fresh")
    assert len(buckets) == 1
    for i in range(1000):
        buckets.take(f"flood{i}")
    assert len(buckets) == 100


def test_route_classes() -> None:
    assert route_class("POST", "/spaces") == "entry"
    assert route_class("POST", "/spaces/sp1/join") == "entry"
    assert route_class("POST", "/spaces/sp1/reactions") == "reaction"
    for path in ("/spaces/s/me/hand", "/spaces/s/me/camera", "/spaces/s/media/publish", "/spaces/s/end"):
        assert route_class("POST", path) == "action"
    assert route_class("DELETE", "/spaces/sp1/me/speak-request") == "action"
    assert route_class("GET", "/spaces/sp1/events") == "stream"
    assert route_class("GET", "/spaces/sp1") is None
    assert route_class("GET", "/healthz") is None


def scope(peer: str, forwarded: str | None = None) -> dict[str, object]:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded is not None else []
    return {"type": "http", "client": (peer, 5555), "headers": headers}


def test_forwarded_for_counts_only_from_a_trusted_proxy() -> None:
    plain = ClientAddress()
    assert plain.of(scope("10.0.0.9", "1.2.3.4")) == "10.0.0.9"
    proxied = ClientAddress.trusting(["10.0.0.1"])
    assert proxied.of(scope("10.0.0.9", "1.2.3.4")) == "10.0.0.9"  # not the proxy: header ignored
    assert proxied.of(scope("10.0.0.1", "1.2.3.4")) == "1.2.3.4"
    # A client's own X-Forwarded-For is kept in front of what the proxy appends: the last hop wins.
    assert proxied.of(scope("10.0.0.1", "6.6.6.6, 1.2.3.4")) == "1.2.3.4"
    chain = ClientAddress.trusting(["10.0.0.1", "10.0.0.2"])
    assert chain.of(scope("10.0.0.1", "1.2.3.4, 10.0.0.2")) == "1.2.3.4"
    assert proxied.of(scope("10.0.0.1")) == "10.0.0.1"
    assert ClientAddress.trusting(["::1"]).of(scope("0:0:0:0:0:0:0:1", "2001:db8::5")) == "2001:db8::5"


def app(limits: Limits, addresses: ClientAddress | None = None, pause_s: float = 0.0) -> FastAPI:
    inner = FastAPI()

    @inner.post("/spaces/{space_id}/join")
    async def join() -> dict[str, bool]:
        return {"ok": True}

    @inner.post("/spaces/{space_id}/reactions")
    async def react() -> dict[str, bool]:
        return {"ok": True}

    inner.add_middleware(RateLimit, limits=limits, addresses=addresses or ClientAddress(), pause_s=pause_s)
    return inner


def client(
    limits: Limits, peer: str = "10.0.0.9", addresses: ClientAddress | None = None, pause_s: float = 0.0
) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app(limits, addresses, pause_s), client=(peer, 5555))
    return httpx.AsyncClient(transport=transport, base_url="http://spaces.test")


async def test_429_with_retry_after_and_a_sentence() -> None:
    limits = Limits(entry=Rate(2, 0.25), reaction=Rate(1, 1))
    async with client(limits) as http:
        assert [(await http.post("/spaces/sp1/join")).status_code for _ in range(2)] == [200, 200]
        refused = await http.post("/spaces/sp1/join")
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "4"
        body = refused.json()
        assert body["error"] == "rate_limited" and body["message"].endswith("4 seconds.")
        # Reactions are counted per token: another token has its own bucket.
        mine = {"Authorization": "Bearer token-a"}
        assert (await http.post("/spaces/sp1/reactions", headers=mine)).status_code == 200
        assert (await http.post("/spaces/sp1/reactions", headers=mine)).status_code == 429
        other = {"Authorization": "Bearer token-b"}
        assert (await http.post("/spaces/sp1/reactions", headers=other)).status_code == 200


async def test_the_address_bucket_holds_one_address_with_many_tokens() -> None:
    limits = Limits(address=Rate(3, 0.1))
    async with client(limits) as http:
        codes = [
            (await http.post("/spaces/sp1/reactions", headers={"Authorization": f"Bearer t{i}"})).status_code
            for i in range(5)
        ]
    assert codes == [200, 200, 200, 429, 429]


async def test_scale_zero_turns_limiting_off_and_scale_multiplies() -> None:
    assert Limits().scaled(2).entry == Rate(Limits().entry.burst * 2, Limits().entry.per_second * 2)
    async with client(Limits(entry=Rate(1, 0.01)).scaled(0)) as http:
        assert {(await http.post("/spaces/sp1/join")).status_code for _ in range(20)} == {200}


async def test_joins_behind_a_trusted_proxy_are_counted_per_forwarded_client() -> None:
    limits = Limits(entry=Rate(1, 0.01))
    async with client(limits, peer="10.0.0.1", addresses=ClientAddress.trusting(["10.0.0.1"])) as http:
        for n in range(3):
            first = await http.post("/spaces/sp1/join", headers={"X-Forwarded-For": f"1.2.3.{n}"})
            assert first.status_code == 200
        again = await http.post("/spaces/sp1/join", headers={"X-Forwarded-For": "1.2.3.0"})
        assert again.status_code == 429


async def test_a_refusal_comes_after_a_pause_so_tight_loops_slow_down() -> None:
    async with client(Limits(entry=Rate(1, 0.01)), pause_s=0.2) as http:
        assert (await http.post("/spaces/sp1/join")).status_code == 200
        started = time.monotonic()
        assert (await http.post("/spaces/sp1/join")).status_code == 429
        assert time.monotonic() - started >= 0.2
