"""Janus node options, load-based placement over a real redis-server, the lease's node and owner URL,
and the forwarding of media calls between backends (an ASGI app standing in for the owner)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from spaces_desktop.errors import ConfigError
from spaces_desktop.server.forwarding import MediaForwarding
from spaces_desktop.server.media_lease import MediaLeases
from spaces_desktop.server.nodes import NodeLoads, parse_node, read_nodes_file, with_shared_secrets
from spaces_desktop.server.ratelimit import ClientAddress
from tests.support.redis_server import RedisServer


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


def test_node_options_name_urls_and_keep_secrets_off_the_command_line(tmp_path: Path) -> None:
    assert parse_node("http://10.0.0.11:8088/janus", 0).name == "janus1"
    named = parse_node("edge-a=http://10.0.0.12:8088/janus/", 1)
    assert (named.name, named.url, named.media_address) == (
        "edge-a",
        "http://10.0.0.12:8088/janus",
        "10.0.0.12",
    )
    for bad in ("ftp://x/janus", "http://user:pw@10.0.0.1/janus", "http://10.0.0.1/janus?apisecret=x"):
        with pytest.raises(ConfigError):
            parse_node(bad, 0)
    file = tmp_path / "nodes.json"
    file.write_text(
        json.dumps(
            {
                "nodes": [
                    {"name": "a", "url": "http://10.0.0.1:8088/janus", "secret": "own"},
                    {"name": "b", "url": "http://10.0.0.2:8088/janus", "media_address": "192.168.5.2"},
                ]
            }
        )
    )
    nodes = with_shared_secrets(read_nodes_file(file), "shared", "key")
    assert [(n.name, n.secret, n.admin_key, n.media_address) for n in nodes] == [
        ("a", "own", "key", "10.0.0.1"),
        ("b", "shared", "key", "192.168.5.2"),
    ]
    assert "own" not in repr(nodes[0])
    with pytest.raises(ConfigError):
        with_shared_secrets([nodes[0], nodes[0]], None, None)
    file.write_text("{not json")
    with pytest.raises(ConfigError):
        read_nodes_file(file)


def test_placement_counts_every_backends_load_and_avoids_a_node_marked_down(
    redis_server: RedisServer,
) -> None:
    prefix = f"t{secrets.token_hex(4)}:"
    names = ["j1", "j2", "j3"]
    one = NodeLoads(names, redis_server.client(), "b1", prefix)
    two = NodeLoads(names, redis_server.client(), "b2", prefix)
    assert one.pick("origin") == "j1"  # ties go by the nodes' order
    one.mine["j1"].rooms = 2
    one.publish()
    assert two.pick("origin") == "j2"  # the other backend's rooms count
    two.mine["j2"].viewers = 5
    two.mine["j3"].viewers = 1
    two.publish()
    assert one.pick("edge", exclude={"j1"}) == "j3"
    two.set_down("j3", True)
    assert one.live() == ["j1", "j2"]  # seen down by the other backend
    assert one.pick("edge", exclude={"j1"}) == "j2"
    two.set_down("j3", False)
    assert one.pick("edge", exclude={"j1"}) == "j3"
    assert one.pick("origin", exclude=set(names)) is None


def test_the_lease_records_the_origin_node_and_the_owners_url_and_keeps_renewing(
    redis_server: RedisServer,
) -> None:
    prefix = f"t{secrets.token_hex(4)}:"
    mine = MediaLeases(redis_server.client(), "b1", prefix, url="http://10.0.0.5:8470")
    other = MediaLeases(redis_server.client(), "b2", prefix)
    assert mine.acquire("s1")
    assert mine.place("s1", "janus2")
    owner = other.owner("s1")
    assert owner is not None and (owner.backend, owner.janus, owner.url) == (
        "b1",
        "janus2",
        "http://10.0.0.5:8470",
    )
    assert not other.acquire("s1") and not other.place("s1", "janus3")
    assert mine.renew_all() == set() and mine.acquire("s1")  # the changed record is still ours
    mine.release("s1")
    assert other.owner("s1") is None


async def _owner_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Stands in for the owner backend: echoes what reached it."""
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    headers = {k.decode(): v.decode() for k, v in scope["headers"]}
    echo = {
        "path": scope["path"],
        "client": scope["client"][0],
        "auth": headers.get("authorization"),
        "body": body.decode(),
    }
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]}
    )
    await send({"type": "http.response.body", "body": json.dumps(echo).encode()})


async def test_a_non_owner_forwards_media_calls_to_the_owner_with_the_clients_address(
    redis_server: RedisServer,
) -> None:
    prefix = f"t{secrets.token_hex(4)}:"
    owner_leases = MediaLeases(redis_server.client(), "owner", prefix, url="http://owner.internal")
    here_leases = MediaLeases(redis_server.client(), "here", prefix, url="http://here.internal")
    assert owner_leases.acquire("space1")
    owner = MediaForwarding(_owner_app, owner_leases, "s3cret", ClientAddress())
    here = MediaForwarding(_owner_app, here_leases, "s3cret", ClientAddress())
    # The forwarding backend's HTTP client reaches the owner app in process.
    here._http = httpx.AsyncClient(transport=httpx.ASGITransport(app=owner))  # type: ignore[arg-type]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=here, client=("203.0.113.7", 5000)),  # type: ignore[arg-type]
        base_url="http://here.internal",
    ) as client:
        reply = await client.post(
            "/spaces/space1/media/subscribe", content=b'{"x":1}', headers={"Authorization": "Bearer tok"}
        )
        assert reply.status_code == 200
        assert reply.json() == {
            "path": "/spaces/space1/media/subscribe",
            "client": "203.0.113.7",  # not the forwarding backend's
            "auth": "Bearer tok",
            "body": '{"x":1}',
        }
        assert here.forwarded == 1
        # Not media, or a Space nobody owns: answered here, not forwarded.
        await client.post("/spaces/space1/join", content=b"{}")
        await client.post("/spaces/space2/media/subscribe", content=b"{}")
        assert here.forwarded == 1
        forged = await client.post("/spaces/space1/media/subscribe", headers={"X-Spaces-Forwarded": "nope"})
        assert forged.status_code == 403 and "backend" in forged.json()["message"]
    await here.aclose()
    await owner.aclose()
