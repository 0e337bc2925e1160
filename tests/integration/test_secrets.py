"""Secrets stay with the backend: Janus's api secret off command lines, private files,
rooms locked with a pin, and error bodies that show clients no internals."""

from __future__ import annotations

import asyncio
import os
import signal
import stat
import time
from pathlib import Path

import httpx
from aiortc import RTCPeerConnection, RTCSessionDescription

from tests.support.api import create_space, join, promote
from tests.support.backend import Backend
from tests.support.janus_direct import DirectJanus, janus_url, learnt_api_secret
from tests.support.peers import Publisher, Subscriber

# What a client must never see in an error: addresses, Janus's words, the SDP parser's findings.
INTERNALS = ("http://", "127.0.0.1", "janus", "v=0", "a=", "m=", "mid", "ice-", "fingerprint", "line ")
JANUS_REFUSED_PIN = {429, 433}  # missing pin, wrong pin


def assert_no_internals(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "message"}, body
    message = str(body["message"])
    assert message.endswith((".", "!")) and message[0].isupper(), message
    leaked = [fragment for fragment in INTERNALS if fragment in message.lower()]
    assert not leaked, f"{leaked} in {message!r}"
    return message


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def janus_folder(backend: Backend) -> Path:
    return backend.data_dir / "janus"


def test_the_private_janus_has_no_secret_on_its_command_line(backend: Backend) -> None:
    pid = backend.janus_pid()
    secret = learnt_api_secret(janus_folder(backend), pid)
    args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    assert b"-a" not in args and not any(a.startswith(b"--apisecret") for a in args), args
    assert not any(secret.encode() in a for a in args), args
    assert backend.process is not None
    backend_args = Path(f"/proc/{backend.process.pid}/cmdline").read_bytes()
    assert secret.encode() not in backend_args
    assert mode(janus_folder(backend) / "janus.jcfg") == 0o600
    # Nor do the logs repeat it.
    assert secret not in (janus_folder(backend) / "janus.log").read_text(errors="replace")
    assert secret not in backend.log_path.read_text(errors="replace")


def listening_tcp_ports(pid: int) -> set[tuple[str, int]]:
    """(address in hex, port) of every TCP socket the process listens on."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        target = os.readlink(fd) if fd.is_symlink() else ""
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    listening = set()
    for table in ("tcp", "tcp6"):
        for row in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = row.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                address, port = fields[1].split(":")
                listening.add((address, int(port, 16)))
    return listening


def test_the_private_janus_listens_only_on_its_api_port_on_loopback(backend: Backend) -> None:
    api_port = int(janus_url(janus_folder(backend)).rsplit(":", 1)[1].split("/")[0])
    # No admin API, no WebSockets or other transports: one port, 127.0.0.1 only.
    assert listening_tcp_ports(backend.janus_pid()) == {("0100007F", api_port)}


async def test_the_data_folder_and_every_file_in_it_are_private(backend: Backend) -> None:
    host = await create_space(backend.url)  # writes the database and its WAL
    try:
        data = backend.data_dir
        for name in ("spaces.sqlite3", "spaces.sqlite3-wal", "janus/janus.log", "janus/janus.jcfg"):
            assert (data / name).is_file(), name
        assert mode(data) == 0o700
        for folder, dirs, files in os.walk(data):
            for name in dirs:
                assert mode(Path(folder) / name) == 0o700, name
            for name in files:
                assert mode(Path(folder) / name) == 0o600, f"{name}: {oct(mode(Path(folder) / name))}"
    finally:
        await host.aclose()


def test_loose_permissions_left_from_before_are_tightened_at_start(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "janus").mkdir(parents=True)
    (data / "janus" / "janus.log").write_text("an old log\n")
    (data / "janus" / "janus.jcfg").write_text("old config\n")
    os.chmod(data, 0o755)
    os.chmod(data / "janus", 0o755)
    os.chmod(data / "janus" / "janus.log", 0o644)
    os.chmod(data / "janus" / "janus.jcfg", 0o644)
    backend = Backend(data, tmp_path / "backend.log")
    backend.start(timeout=60)  # generous: the machine is shared
    try:
        assert mode(data) == 0o700
        assert mode(data / "janus") == 0o700
        assert mode(data / "janus" / "janus.log") == 0o600
        assert mode(data / "janus" / "janus.jcfg") == 0o600
        assert mode(data / "spaces.sqlite3") == 0o600
        assert "an old log" in (data / "janus" / "janus.log").read_text()  # tightened, not replaced
    finally:
        backend.stop()


async def test_someone_with_the_api_secret_can_neither_find_nor_join_a_room(backend: Backend) -> None:
    host = await create_space(backend.url)
    try:
        await asyncio.to_thread(_try_the_rooms_directly, backend, host.space_id)
    finally:
        await host.aclose()


def _try_the_rooms_directly(backend: Backend, space_id: str) -> None:
    folder = janus_folder(backend)
    intruder = DirectJanus(janus_url(folder), learnt_api_secret(folder, backend.janus_pid()))
    try:
        listed = intruder.request({"request": "list"})
        assert space_id not in str(listed), listed
        assert listed.get("list") == [], listed  # private rooms are not listed at all
        # Room ids are small numbers: a local user can probe them.
        rooms = [r for r in range(1, 200) if intruder.request({"request": "exists", "room": r}).get("exists")]
        assert rooms, "the Space's room was not found by probing"
        for room in rooms:
            for pin in ({}, {"pin": "guess"}):
                as_publisher = intruder.message(
                    {"request": "join", "ptype": "publisher", "room": room, "display": "intruder", **pin}
                )
                assert as_publisher.get("videoroom") != "joined", as_publisher
                assert as_publisher.get("error_code") in JANUS_REFUSED_PIN, as_publisher
            as_subscriber = intruder.message(
                {"request": "join", "ptype": "subscriber", "room": room, "streams": [{"feed": 1}]}
            )
            assert as_subscriber.get("videoroom") != "attached", as_subscriber
            assert as_subscriber.get("error_code"), as_subscriber
            destroyed = intruder.request({"request": "destroy", "room": room})
            assert destroyed.get("videoroom") != "destroyed", destroyed
            details = intruder.request({"request": "listparticipants", "room": room})
            assert space_id not in str(details), details
        # Nor can rooms be made to squat the ids of Spaces to come.
        created = intruder.request({"request": "create", "room": max(rooms) + 1, "permanent": False})
        assert created.get("videoroom") != "created", created
    finally:
        intruder.close()


async def test_publishing_and_subscribing_through_the_backend_still_work(backend: Backend) -> None:
    host = await create_space(backend.url)
    speaker = await join(backend.url, host.space_id, "Sam")
    listener = await join(backend.url, host.space_id, "Lee")
    await promote(host, speaker)
    publisher = Publisher(speaker)
    subscriber = Subscriber(listener)
    try:
        await publisher.publish()
        deadline = time.monotonic() + 20
        while len((await listener.get()).json().get("streams", [])) < 2:
            assert time.monotonic() < deadline, "the speaker's streams never appeared"
            await asyncio.sleep(0.1)
        await subscriber.subscribe()
        [video] = subscriber.mids("video", speaker.id, "main")
        [audio] = subscriber.mids("audio", speaker.id)
        await subscriber.wait_frames(video, 20, timeout=30)
        await subscriber.wait_frames(audio, 25, timeout=30)
    finally:
        await subscriber.close()
        await publisher.close()
        for member in (host, speaker, listener):
            await member.aclose()


HEAD = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
ICE = "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=setup:actpass\r\n"
FINGERPRINT = "a=fingerprint:sha-256 " + ":".join(["AB"] * 32) + "\r\n"
BAD_SDPS = [
    "hello",
    "v=0",
    HEAD,
    HEAD + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=sendonly\r\n",
    HEAD + "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\na=sendonly\r\n",
    HEAD + "m=text 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\n",
    HEAD + "garbage\r\n",
    # These pass the backend's own checks; Janus's parser refuses them.
    HEAD + "m=audio x y z\r\na=mid:0\r\na=sendonly\r\n" + ICE + FINGERPRINT,
    HEAD + "m=audio\r\na=mid:0\r\na=sendonly\r\n" + ICE + FINGERPRINT,
    HEAD + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4\r\na=mid:0\r\na=sendonly\r\n" + ICE + FINGERPRINT,
    HEAD
    + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=sendonly\r\na=ice-ufrag:\r\na=ice-pwd:\r\n"
    + FINGERPRINT,
    HEAD + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=sendonly\r\n" + ICE + "a=fingerprint:md5 AB\r\n",
]


async def test_errors_for_bad_offers_and_answers_show_no_internals(backend: Backend) -> None:
    host = await create_space(backend.url)
    listener = await join(backend.url, host.space_id, "Lee")
    publisher = Publisher(host)
    answerer = RTCPeerConnection()
    try:
        for sdp in BAD_SDPS:
            response = await host.post("/media/publish", {"type": "offer", "sdp": sdp}, expect=None)
            assert_no_internals(response, 400)
            assert response.json()["error"] == "invalid_sdp"
        await publisher.publish()
        deadline = time.monotonic() + 20
        while True:
            response = await listener.post("/media/subscribe", {}, expect=None)
            if response.status_code == 200:
                break
            assert response.status_code == 409 and time.monotonic() < deadline, response.text
            await asyncio.sleep(0.1)
        offer = response.json()["sdp"]
        await answerer.setRemoteDescription(RTCSessionDescription(offer, "offer"))
        await answerer.setLocalDescription(await answerer.createAnswer())
        good = answerer.localDescription.sdp
        broken_answers = [*BAD_SDPS, good.replace("m=video", "m=video x")]
        for sdp in broken_answers:
            response = await listener.post(
                "/media/subscribe/answer", {"type": "answer", "sdp": sdp}, expect=None
            )
            assert_no_internals(response, 400)
            assert response.json()["error"] == "invalid_sdp"
    finally:
        await answerer.close()
        await publisher.close()
        for member in (host, listener):
            await member.aclose()


async def test_janus_not_answering_is_a_503_without_its_address(own_backend: Backend) -> None:
    host = await create_space(own_backend.url)
    pid = own_backend.janus_pid()
    os.kill(pid, signal.SIGSTOP)
    try:
        async with httpx.AsyncClient(base_url=own_backend.url, trust_env=False, timeout=60) as http:
            response = await http.post(
                "/spaces", json={"title": "Later", "host_name": "H", "video_enabled": True}
            )
        message = assert_no_internals(response, 503)
        assert str(janus_url(janus_folder(own_backend)).split(":")[-1].split("/")[0]) not in message
    finally:
        os.kill(pid, signal.SIGCONT)
        await host.aclose()
    # The details are in the server's log, for its operator.
    assert "127.0.0.1" in own_backend.log_tail(200)
