"""The STUN/TURN servers of the join response reach the app's peer connections."""

from __future__ import annotations

from aiortc import RTCPeerConnection

from spaces_desktop.protocol import IceServer
from spaces_desktop.transport.peer import rtc_ice_servers
from spaces_desktop.transport.publisher import Publisher, PublishTracks
from spaces_desktop.transport.subscriber import Subscriber


def configured(pc: RTCPeerConnection) -> list[list[str] | str]:
    """The ICE servers a connection gathers with (aiortc keeps its configuration private)."""
    configuration = pc._RTCPeerConnection__configuration  # type: ignore[attr-defined]
    return [server.urls for server in configuration.iceServers or []]


async def test_join_response_servers_configure_both_connections() -> None:
    servers = rtc_ice_servers(
        [
            IceServer(urls=["stun:turn.example.com:3478"]),
            IceServer(urls=["turn:turn.example.com:3478"], username="1700000000:p_1", credential="c2VjcmV0"),
        ]
    )
    assert [s.urls for s in servers] == [["stun:turn.example.com:3478"], ["turn:turn.example.com:3478"]]
    assert servers[1].username == "1700000000:p_1" and servers[1].credential == "c2VjcmV0"
    publisher = Publisher(PublishTracks(audio=None, camera=None, second_camera=None), ice_servers=servers)
    subscriber = Subscriber(lambda stream, track: None, ice_servers=servers)
    try:
        for pc in (publisher.pc, subscriber.pc):
            assert configured(pc) == [s.urls for s in servers]
    finally:
        await publisher.pc.close()
        await subscriber.pc.close()


async def test_no_servers_means_no_third_party_stun() -> None:
    subscriber = Subscriber(lambda stream, track: None)
    try:
        assert configured(subscriber.pc) == []
    finally:
        await subscriber.pc.close()
