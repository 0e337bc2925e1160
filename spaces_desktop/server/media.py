"""The backend's side of media: one Janus VideoRoom per Space, a publisher and a
subscriber handle per participant, all driven through the backend's own session.

Participants appear in Janus under their numeric `seq` as feed id, so Janus
events map straight back to the database. If the Janus session is lost (Janus
died, restarted, or dropped us) the service reconnects, re-creates the rooms of
live Spaces and reports a media reset so clients publish and subscribe again.

Rooms are private (unlisted, a description that names no Space) and locked with
a secret and a pin only this service knows: whoever learns Janus's api secret
still cannot join a room, subscribe to it or change it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import weakref
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from spaces_desktop.domain import CameraSource
from spaces_desktop.errors import Conflict, InvalidInput, MediaServerError
from spaces_desktop.protocol import SMALL_LAYER_TRACK_PREFIX, Layer, StreamView
from spaces_desktop.server.janus_client import (
    JanusClient,
    JanusError,
    JanusHandle,
    JanusSession,
    JanusUnavailable,
    JsonDict,
)
from spaces_desktop.server.layers import LayerBook, Wanted
from spaces_desktop.server.sdp import MediaLine, parse_media_lines

log = logging.getLogger(__name__)

VIDEOROOM = "janus.plugin.videoroom"
MAX_PUBLISHERS = 16  # 1 host + 2 co-hosts + 10 speakers, with room for a late leaver
AUDIO_ACTIVE_PACKETS = 25  # about 0.5 s of 20 ms packets: fast enough for talking events
ROOM_BITRATE = 2_500_000
JANUS_NO_SUCH_FEED = 428
# Invalid SDP type or body, or an answer Janus did not expect, as Janus numbers them.
JANUS_SDP_ERRORS = {460, 464, 465, 466, 469, 454}
UNUSABLE_OFFER = (
    "The media server could not use this offer; send the one your WebRTC library made, "
    "with Opus audio and VP8 or H.264 video."
)
UNUSABLE_ANSWER = "The media server could not use this answer; answer its offer with your WebRTC library."
DEPARTURE_CHECKS = 40  # Janus removes a detached publisher in the background: wait at most ~1 s
DEPARTURE_POLL_S = 0.025
PENDING_SUBSCRIPTION_S = 20.0  # an offer nobody answered in this time is given up
RETIRE_GRACE_S = 1.5  # the replaced subscription forwards this long after the new one is up (keyframe)
RETIRE_MAX_S = 10.0  # ... and no longer than this after the answer, up or not
MAX_RETIRING = 3
SMALL_SUFFIX = "-small"  # a stream description "main-small": the main camera's small layer


@dataclass(frozen=True)
class FeedStream:
    """A stream a publisher sends, as Janus lists it."""

    feed: int
    mid: str
    kind: Literal["audio", "video"]
    source: CameraSource | None
    codec: str | None = None
    layer: Layer = "large"


@dataclass
class Room:
    space_id: str
    room_id: int
    secret: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    pin: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    monitor: JanusHandle | None = None
    publishers: dict[int, JanusHandle] = field(default_factory=dict)
    subscribers: dict[int, JanusHandle] = field(default_factory=dict)
    """The subscription each participant receives media on now."""
    pending: dict[int, JanusHandle] = field(default_factory=dict)
    """A newer subscription offered but not yet answered; the current one keeps forwarding."""
    retiring: dict[int, list[JanusHandle]] = field(default_factory=dict)
    """Subscriptions an answered one replaced, forwarding until the new one's media is up."""
    up: set[int] = field(default_factory=set)
    """Subscriber handles whose PeerConnection is up (Janus said `webrtcup`)."""
    streams: dict[int, list[FeedStream]] = field(default_factory=dict)
    audio_mids: dict[int, str] = field(default_factory=dict)
    layers: LayerBook = field(default_factory=LayerBook)
    """What every subscriber handle carries, so publishers encode only the layers taken."""


class MediaListener(Protocol):
    """What the media service reports back to the Spaces service (on the backend's loop)."""

    def streams_changed(self, space_id: str) -> None: ...

    def talking(self, space_id: str, feed: int, talking: bool, level_dbov: float | None) -> None: ...

    def media_reset(self, space_id: str, reason: str) -> None: ...

    def feed_id_to_participant(self, feed: int) -> str | None: ...

    def layers_wanted(self, space_id: str, feed: int, wanted: Wanted) -> None: ...


class AudienceRoute(Protocol):
    """Where listeners of big audiences are served instead (server/streaming.py)."""

    def serves(self, room: Room, feed: int) -> bool: ...

    def watching(self, space_id: str, feed: int) -> bool: ...

    def forwards(self, space_id: str) -> bool:
        """Whether a mountpoint forwards this Space's stage now (it carries every layer)."""
        ...

    async def subscribe(
        self, room: Room, feed: int, wanted: list[tuple[int, str]]
    ) -> tuple[str, list[StreamView]]: ...

    async def start(self, space_id: str, feed: int, answer_sdp: str) -> None: ...

    async def trickle(
        self, space_id: str, feed: int, candidates: list[JsonDict], completed: bool
    ) -> bool: ...

    def leave_later(self, space_id: str, feed: int) -> None: ...

    async def unsubscribe(self, space_id: str, feed: int) -> None: ...

    async def close_room(self, space_id: str) -> None: ...


class MediaService:
    def __init__(
        self,
        janus_url: Callable[[], str],
        janus_secret: Callable[[], str | None],
        listener: MediaListener,
        live_rooms: Callable[[], list[tuple[str, int]]],
        room_admin_key: Callable[[], str | None] = lambda: None,
        room_secret: Callable[[int], str] | None = None,
    ) -> None:
        self._janus_url = janus_url
        self._janus_secret = janus_secret
        self._room_admin_key = room_admin_key
        self._room_secret = room_secret
        """With several backends: a secret every backend derives alike, so one taking over a Space
        can destroy the room a dead backend left on the shared Janus (a random one could not)."""
        self._listener = listener
        self._live_rooms = live_rooms
        self._client: JanusClient | None = None
        self._session: JanusSession | None = None
        self._rooms: dict[str, Room] = {}
        self._lock = asyncio.Lock()
        # One publish, unpublish, kick or mute of a feed at a time, so none of them can
        # interleave with another's Janus round trips and leave a handle nobody tracks.
        self._feed_locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()
        self._cleanups: set[asyncio.Task[None]] = set()
        self._recovering: asyncio.Task[None] | None = None
        self._closed = False
        self._detaching: set[asyncio.Task[None]] = set()
        self.resets = 0
        self.audience: AudienceRoute | None = None
        self.on_lost: Callable[[], None] | None = None
        """Told at once when the Janus session is lost (server/cascade.py moves rooms to another node)."""

    # --- lifecycle ---

    async def start(self) -> None:
        await self._connect()
        for space_id, room_id in self._live_rooms():
            await self.open_room(space_id, room_id)

    async def close(self) -> None:
        self._closed = True
        if self._recovering is not None:
            self._recovering.cancel()
        if self._session is not None:
            await self._session.destroy()
        if self._client is not None:
            await self._client.aclose()

    async def _connect(self) -> None:
        if self._client is not None:
            await self._client.aclose()
        self._client = JanusClient(self._janus_url(), self._janus_secret())
        self._session = await self._client.create_session(on_lost=self._session_lost)

    def _session_lost(self) -> None:
        if self.on_lost is not None and not self._closed:
            self.on_lost()
        if self._closed or (self._recovering is not None and not self._recovering.done()):
            return
        self._recovering = asyncio.get_running_loop().create_task(self._recover(), name="janus-recover")

    async def _recover(self) -> None:
        lost = list(self._rooms.values())
        self._rooms.clear()
        delay = 0.2
        while not self._closed:
            try:
                await self._connect()
                break
            except MediaServerError as exc:
                log.warning("Janus not back yet (%s); retrying in %.1f s", exc.detail, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        self.resets += 1
        live = self._live_rooms()
        for space_id, room_id in live:
            try:
                await self.open_room(space_id, room_id)
            except MediaServerError:
                log.exception("Could not re-create the room of Space %s", space_id)
        for room in lost:
            self._listener.streams_changed(room.space_id)
        for space_id, _ in live:
            self._listener.media_reset(space_id, "The media server restarted; publish and subscribe again.")

    @property
    def session(self) -> JanusSession:
        if self._session is None or not self._session.alive:
            raise MediaServerError("The media server is restarting; try again in a moment.")
        return self._session

    # --- rooms ---

    async def open_room(self, space_id: str, room_id: int) -> None:
        async with self._lock:
            if space_id in self._rooms:
                return
            room = Room(space_id, room_id)
            if self._room_secret is not None:
                room.secret = self._room_secret(room_id)
            monitor = await self.session.attach(VIDEOROOM, lambda event: self._on_monitor_event(room, event))
            with contextlib.suppress(JanusError):  # usually: no such room, which is what we want
                await monitor.request(
                    {"request": "destroy", "room": room_id, "secret": room.secret, "permanent": False}
                )
            admin_key = self._room_admin_key()
            await monitor.request(
                {
                    "request": "create",
                    "room": room_id,
                    "permanent": False,
                    # Nothing that names the Space: room ids are guessable, Space ids are not.
                    "description": "space",
                    "is_private": True,
                    "secret": room.secret,
                    "pin": room.pin,
                    "lock_record": True,
                    **({"admin_key": admin_key} if admin_key else {}),
                    "publishers": MAX_PUBLISHERS,
                    "bitrate": ROOM_BITRATE,
                    "fir_freq": 5,
                    "audiocodec": "opus",
                    "videocodec": "vp8,h264",
                    "audiolevel_event": True,
                    "audio_active_packets": AUDIO_ACTIVE_PACKETS,
                    "audio_level_average": 45,
                }
            )
            await monitor.message(
                {
                    "request": "join",
                    "ptype": "publisher",
                    "room": room_id,
                    "pin": room.pin,
                    "display": "backend",
                }
            )
            room.monitor = monitor
            self._rooms[space_id] = room

    async def close_room(self, space_id: str) -> None:
        if self.audience is not None:
            await self.audience.close_room(space_id)
        room = self._rooms.pop(space_id, None)
        if room is None:
            return
        with contextlib.suppress(MediaServerError):
            assert room.monitor is not None
            await room.monitor.request({"request": "destroy", "room": room.room_id, "secret": room.secret})
        handles = [
            *room.publishers.values(),
            *room.subscribers.values(),
            *room.pending.values(),
            *(handle for handles in room.retiring.values() for handle in handles),
        ]
        for handle in [*handles, room.monitor]:
            if handle is not None:
                await handle.detach()

    def room(self, space_id: str) -> Room:
        room = self._rooms.get(space_id)
        if room is None:
            raise MediaServerError("This Space's media room is being set up; try again in a moment.")
        return room

    def streams(self, space_id: str) -> list[FeedStream]:
        room = self._rooms.get(space_id)
        return [s for streams in room.streams.values() for s in streams] if room else []

    # --- publishing ---

    async def publish(self, space_id: str, feed: int, offer_sdp: str, allow_video: bool, muted: bool) -> str:
        """Publishes the offer as the feed, replacing whatever the feed published before."""
        media = parse_media_lines(offer_sdp)
        if not any(m.sends for m in media):
            raise InvalidInput("The offer sends no audio or video.", code="invalid_sdp")
        if not allow_video and any(m.kind == "video" and m.sends for m in media):
            raise Conflict("This Space has video turned off: publish audio only.", code="video_disabled")
        async with self._feed_turn(feed):
            return await self._publish(space_id, feed, offer_sdp, media, muted)

    async def _publish(
        self, space_id: str, feed: int, offer_sdp: str, media: list[MediaLine], muted: bool
    ) -> str:
        room = self.room(space_id)
        await self._unpublish(room, feed)
        descriptions = _describe(media)
        handle = await self.session.attach(VIDEOROOM)
        joined: int | None = None  # the feed, once this handle holds it in the room
        try:
            await handle.message(
                {
                    "request": "join",
                    "ptype": "publisher",
                    "room": room.room_id,
                    "pin": room.pin,
                    "id": feed,
                    "display": str(feed),
                }
            )
            joined = feed
            _, answer = await handle.message(
                {"request": "publish", "descriptions": descriptions},
                {"type": "offer", "sdp": offer_sdp},
                timeout=15,
            )
            if answer is None:
                raise MediaServerError("The media server sent no answer to the offer.")
            self._require_open(room)
        except JanusError as exc:
            await self._drop(room, handle, joined)
            if exc.janus_code in JANUS_SDP_ERRORS:
                raise InvalidInput(UNUSABLE_OFFER, code="invalid_sdp", detail=exc.detail) from exc
            raise
        except MediaServerError:
            await self._drop(room, handle, joined)
            raise
        except BaseException:  # cancelled: still never leave a handle nobody tracks
            self._in_background(self._drop(room, handle, joined))
            raise
        room.publishers[feed] = handle
        audio = next((m.mid for m in media if m.kind == "audio" and m.sends), None)
        if audio is not None:
            room.audio_mids[feed] = audio
            if muted:
                try:
                    await self._moderate(room, feed, True)
                except MediaServerError:
                    await self._unpublish(room, feed)  # never hand out a stream that should be muted
                    raise
        return str(answer["sdp"])

    async def unpublish(self, space_id: str, feed: int) -> bool:
        """Takes the feed out of the room; waits for a publish of that feed still under way."""
        async with self._feed_turn(feed):
            room = self._rooms.get(space_id)
            return await self._unpublish(room, feed) if room is not None else False

    async def _unpublish(self, room: Room, feed: int) -> bool:
        handle = room.publishers.pop(feed, None)
        if handle is None:
            return False
        room.audio_mids.pop(feed, None)
        room.layers.forget(feed)
        had_streams = room.streams.pop(feed, None) is not None
        await self._drop(room, handle, feed)  # leaving the room unpublishes and tells every subscriber
        if had_streams:
            self._listener.streams_changed(room.space_id)
        return True

    async def _drop(self, room: Room, handle: JanusHandle, feed: int | None) -> None:
        """Detaches a publisher handle and waits until Janus no longer lists its feed in the room.

        Janus finishes a detach in the background; until it has, the old participant
        still holds the feed id (a new join with it is refused) and is still listed.
        """
        await handle.detach()
        if feed is None:
            return  # it never joined the room
        for _ in range(DEPARTURE_CHECKS):
            if room.monitor is None or self._rooms.get(room.space_id) is not room:
                return  # the room is gone, and the feed with it
            try:
                reply = await room.monitor.request({"request": "listparticipants", "room": room.room_id})
            except MediaServerError:
                return
            if all(int(p.get("id", 0)) != feed for p in reply.get("participants", [])):
                return
            await asyncio.sleep(DEPARTURE_POLL_S)
        log.warning("Janus still lists feed %s in room %s after its handle was detached", feed, room.room_id)

    async def moderate(self, space_id: str, feed: int, mute: bool) -> None:
        """Mutes or unmutes a publisher's audio inside Janus, whatever its client does."""
        async with self._feed_turn(feed):
            room = self._rooms.get(space_id)
            if room is not None:
                await self._moderate(room, feed, mute)

    async def _moderate(self, room: Room, feed: int, mute: bool) -> None:
        mid = room.audio_mids.get(feed)
        if room.monitor is None or mid is None:
            return  # not publishing: the flag is applied when it publishes
        await room.monitor.request(
            {
                "request": "moderate",
                "secret": room.secret,
                "room": room.room_id,
                "id": feed,
                "mid": mid,
                "mute": mute,
            }
        )

    async def kick(self, space_id: str, feed: int) -> None:
        async with self._feed_turn(feed):
            room = self._rooms.get(space_id)
            if room is None:
                return
            if feed in room.publishers and room.monitor is not None:
                with contextlib.suppress(JanusError):
                    await room.monitor.request(
                        {"request": "kick", "secret": room.secret, "room": room.room_id, "id": feed}
                    )
            await self._unpublish(room, feed)
        await self.unsubscribe(space_id, feed)

    def _feed_turn(self, feed: int) -> asyncio.Lock:
        lock = self._feed_locks.get(feed)
        if lock is None:
            lock = self._feed_locks[feed] = asyncio.Lock()
        return lock

    def _require_open(self, room: Room) -> None:
        """Raises if the room was closed or re-created (Janus restarted) during an await."""
        if self._rooms.get(room.space_id) is not room:
            raise MediaServerError("This Space's media room closed while the stream was being set up.")

    # --- subscribing ---

    async def subscribe(
        self, space_id: str, feed: int, choices: list[tuple[int, str]] | None
    ) -> tuple[str, list[StreamView]]:
        """A fresh subscription (new handle, new offer) to the chosen streams, or all but the caller's own.

        Make before break: the caller's current subscription keeps forwarding until
        this one is answered (`start_subscription`); only then does the old handle go.
        """
        room = self.room(space_id)
        available = {(s.feed, s.mid): s for s in self.streams(space_id) if s.feed != feed}
        if choices is None:
            # Clients that do not choose get one picture per camera: the large layer.
            wanted = [key for key, s in available.items() if s.layer == "large"]
        else:
            missing = [c for c in choices if c not in available]
            if missing:
                raise InvalidInput(
                    "Some of the chosen streams are not being published.", code="no_such_stream"
                )
            wanted = choices
        if not wanted:
            raise Conflict(
                "Nobody is publishing yet; subscribe when a streams event arrives.", code="nothing_published"
            )
        if self.audience is not None:
            if self.audience.serves(room, feed):
                offered = await self.audience.subscribe(room, feed, wanted)
                self._tell_layers(room)  # a mountpoint forwards every layer
                return offered
            self.audience.leave_later(space_id, feed)
        await self._drop_pending(room, feed)
        handle = await self.session.attach(
            VIDEOROOM, lambda event: self._on_subscriber_event(room, feed, event)
        )
        try:
            data, offer = await handle.message(
                {
                    "request": "join",
                    "ptype": "subscriber",
                    "room": room.room_id,
                    "pin": room.pin,
                    "streams": [{"feed": f, "mid": m} for f, m in wanted],
                },
                timeout=15,
            )
        except JanusError as exc:
            await handle.detach()
            if exc.janus_code == JANUS_NO_SUCH_FEED:
                # A publisher left between our list and Janus's: the client asks again.
                message = "A stream ended while subscribing; subscribe again."
                raise Conflict(message, code="stream_gone") from exc
            raise
        except MediaServerError:
            await handle.detach()
            raise
        if offer is None:
            await handle.detach()
            raise MediaServerError("The media server offered no media for this subscription.")
        if self._rooms.get(space_id) is not room:  # the room closed or was rebuilt meanwhile
            await handle.detach()
            raise MediaServerError("This Space's media room is being set up; try again in a moment.")
        await self._drop_pending(room, feed)  # a request that overlapped ours: the newest offer wins
        room.pending[feed] = handle
        room.layers.carry(
            handle.id,
            {
                str(s["mid"]): (int(s.get("feed_id", 0)), str(s.get("feed_mid")))
                for s in data.get("streams", [])
                if "mid" in s
            },
        )
        self._tell_layers(room)
        asyncio.get_running_loop().call_later(
            PENDING_SUBSCRIPTION_S, self._expire_pending, room, feed, handle
        )
        views = []
        for stream in data.get("streams", []):
            source = available.get((int(stream.get("feed_id", 0)), str(stream.get("feed_mid"))))
            participant = self._listener.feed_id_to_participant(int(stream.get("feed_id", 0)))
            if source is None or participant is None:
                continue
            views.append(
                StreamView(
                    participant_id=participant,
                    mid=str(stream["mid"]),
                    kind=source.kind,
                    source=source.source,
                    layer=source.layer,
                )
            )
        return str(offer["sdp"]), views

    async def start_subscription(self, space_id: str, feed: int, answer_sdp: str) -> None:
        """Starts the offered subscription with the client's answer, then drops the one it replaces."""
        parse_media_lines(answer_sdp)
        room = self.room(space_id)
        if self.audience is not None and self.audience.watching(space_id, feed) and feed not in room.pending:
            return await self.audience.start(space_id, feed, answer_sdp)
        handle = room.pending.pop(feed, None)
        if handle is None:
            raise Conflict("Subscribe first, then send the answer.", code="not_subscribed")
        try:
            await handle.message({"request": "start"}, {"type": "answer", "sdp": answer_sdp})
        except JanusError as exc:
            if exc.janus_code in JANUS_SDP_ERRORS:
                if self._rooms.get(space_id) is room and feed not in room.pending:
                    room.pending[feed] = handle  # a corrected answer may follow
                else:
                    await self._detach_subscriber(room, handle)
                raise InvalidInput(UNUSABLE_ANSWER, code="invalid_sdp", detail=exc.detail) from exc
            await self._detach_subscriber(room, handle)
            raise
        except MediaServerError:
            await self._detach_subscriber(room, handle)
            raise
        if self._rooms.get(space_id) is not room:  # the room closed or was rebuilt while we waited
            await self._detach_subscriber(room, handle)
            raise MediaServerError("This Space's media room is being set up; subscribe again.")
        old = room.subscribers.get(feed)
        room.subscribers[feed] = handle
        if old is None or old is handle:
            return
        if old.id not in room.up:
            await self._detach_subscriber(room, old)  # it never forwarded: keep the one that did
            return
        # The old one keeps forwarding while the client's new connection comes up. While
        # subscriptions change quickly, which one the client still plays is not known here:
        # all of them forward until the newest is up.
        retiring = room.retiring.setdefault(feed, [])
        retiring.append(old)
        while len(retiring) > MAX_RETIRING:
            await self._detach_subscriber(room, retiring.pop(0))
        if handle.id in room.up:
            self._retire_later(room, feed, old, RETIRE_GRACE_S)
        self._retire_later(room, feed, old, RETIRE_MAX_S)

    async def unsubscribe(self, space_id: str, feed: int) -> None:
        if self.audience is not None:
            await self.audience.unsubscribe(space_id, feed)
        room = self._rooms.get(space_id)
        if room is None:
            return
        handles = [room.pending.pop(feed, None), room.subscribers.pop(feed, None)]
        for handle in [*handles, *room.retiring.pop(feed, [])]:
            if handle is not None:
                await self._detach_subscriber(room, handle)

    async def _drop_pending(self, room: Room, feed: int) -> None:
        handle = room.pending.pop(feed, None)
        if handle is not None:
            await self._detach_subscriber(room, handle)

    async def _detach_subscriber(self, room: Room, handle: JanusHandle) -> None:
        room.up.discard(handle.id)
        room.layers.drop(handle.id)
        self._tell_layers(room)
        await handle.detach()

    async def switch(self, space_id: str, feed: int, changes: list[tuple[str, int, str]]) -> list[StreamView]:
        """Points slots of the caller's current subscription at other published streams (no renegotiation).

        ``changes`` are (subscription mid, publisher feed, publisher mid); a slot
        keeps its kind and codec, so only a stream of the same kind and codec fits.
        Returns what the changed slots carry now.
        """
        room = self.room(space_id)
        handle = room.subscribers.get(feed)
        if handle is None:
            raise Conflict("Subscribe first, then switch streams.", code="not_subscribed")
        available = {(s.feed, s.mid): s for s in self.streams(space_id) if s.feed != feed}
        streams = []
        for sub_mid, source_feed, source_mid in changes:
            source = available.get((source_feed, source_mid))
            current = room.layers.slot(handle.id, sub_mid)
            if source is None:
                raise InvalidInput(
                    "Some of the chosen streams are not being published.", code="no_such_stream"
                )
            old = available.get(current) if current is not None else None
            if current is None or (old is not None and (old.kind, old.codec) != (source.kind, source.codec)):
                raise InvalidInput(
                    "A slot can only switch to a stream of the same kind and codec.", code="slot_mismatch"
                )
            streams.append({"feed": source_feed, "mid": source_mid, "sub_mid": sub_mid})
        try:
            await handle.message({"request": "switch", "streams": streams}, timeout=10)
        except JanusError as exc:
            if exc.janus_code == JANUS_NO_SUCH_FEED:
                raise Conflict(
                    "A stream ended while switching; subscribe again.", code="stream_gone"
                ) from exc
            raise
        if room.subscribers.get(feed) is not handle or self._rooms.get(space_id) is not room:
            raise Conflict("The subscription changed while switching; switch again.", code="not_subscribed")
        views = []
        for sub_mid, source_feed, source_mid in changes:
            room.layers.switch(handle.id, sub_mid, (source_feed, source_mid))
            source = available[(source_feed, source_mid)]
            participant = self._listener.feed_id_to_participant(source_feed)
            if participant is not None:
                views.append(
                    StreamView(
                        participant_id=participant,
                        mid=sub_mid,
                        kind=source.kind,
                        source=source.source,
                        layer=source.layer,
                    )
                )
        self._tell_layers(room)
        return views

    def _tell_layers(self, room: Room) -> None:
        """Tells every publisher with two layers which of them some subscription takes, when that changed."""
        if self._rooms.get(room.space_id) is not room:
            return
        layered: dict[int, tuple[str, str]] = {}
        for feed, streams in room.streams.items():
            main = [s for s in streams if s.kind == "video" and s.source is CameraSource.MAIN]
            large = next((s.mid for s in main if s.layer == "large"), None)
            small = next((s.mid for s in main if s.layer == "small"), None)
            if large is not None and small is not None:
                layered[feed] = (large, small)
        everything = self.audience is not None and self.audience.forwards(room.space_id)
        for feed, wanted in room.layers.changes(layered, everything):
            self._listener.layers_wanted(room.space_id, feed, wanted)

    def _on_subscriber_event(self, room: Room, feed: int, event: JsonDict) -> None:
        if event.get("janus") != "webrtcup":
            return
        sender = int(event.get("sender", 0) or 0)
        room.up.add(sender)
        current = room.subscribers.get(feed)
        if current is not None and current.id == sender:
            for old in room.retiring.get(feed, []):
                self._retire_later(room, feed, old, RETIRE_GRACE_S)

    def _retire_later(self, room: Room, feed: int, handle: JanusHandle, delay: float) -> None:
        def retire() -> None:
            retiring = room.retiring.get(feed, [])
            if handle in retiring:
                retiring.remove(handle)
                self._detach_soon(room, handle)

        asyncio.get_running_loop().call_later(delay, retire)

    def _detach_soon(self, room: Room, handle: JanusHandle) -> None:
        task = asyncio.get_running_loop().create_task(
            self._detach_subscriber(room, handle), name="janus-detach-subscriber"
        )
        self._detaching.add(task)
        task.add_done_callback(self._detaching.discard)

    def _expire_pending(self, room: Room, feed: int, handle: JanusHandle) -> None:
        """Gives up an offer its client never answered (it crashed, or lost the network)."""
        if room.pending.get(feed) is handle:
            del room.pending[feed]
            log.info(
                "Subscription offer to feed %s in Space %s was never answered; dropped", feed, room.space_id
            )
            self._detach_soon(room, handle)

    async def trickle(
        self, space_id: str, feed: int, target: str, candidates: list[JsonDict], completed: bool
    ) -> None:
        """Late ICE candidates for the participant's publishing or subscribing handle."""
        room = self.room(space_id)
        if target == "publish":
            handle = room.publishers.get(feed)
        else:  # the newest subscription: offered and not yet answered, or started
            handle = room.pending.get(feed) or room.subscribers.get(feed)
            audience = self.audience if handle is None else None
            if audience is not None and await audience.trickle(space_id, feed, candidates, completed):
                return
        if handle is None:
            raise Conflict(
                "There is no connection to add candidates to; publish or subscribe first.",
                code="no_connection",
            )
        await handle.trickle(candidates, completed)

    # --- events from Janus ---

    def _on_monitor_event(self, room: Room, event: JsonDict) -> None:
        data: dict[str, Any] = (event.get("plugindata") or {}).get("data") or {}
        kind = data.get("videoroom")
        changed = False
        for publisher in data.get("publishers", []) or []:
            feed = int(publisher.get("id", 0))
            if feed not in room.publishers:
                # Only a publish this service tracks can be listed, and later torn down.
                self._in_background(self._kick_untracked(room, feed))
                continue
            room.streams[feed] = [
                FeedStream(
                    feed,
                    str(s.get("mid")),
                    "audio" if s.get("type") == "audio" else "video",
                    _source(s.get("description")),
                    str(s["codec"]) if s.get("codec") else None,
                    _layer(s.get("description")),
                )
                for s in publisher.get("streams", [])
                if s.get("type") in ("audio", "video") and not s.get("disabled")
            ]
            changed = True
        for key in ("unpublished", "leaving"):
            gone = data.get(key)
            if isinstance(gone, int) and room.streams.pop(gone, None) is not None:
                changed = True
        if kind in ("talking", "stopped-talking") and "id" in data:
            level = data.get("audio-level-dBov-avg")
            self._listener.talking(
                room.space_id,
                int(data["id"]),
                kind == "talking",
                -float(level) if level is not None else None,
            )
        if changed:
            self._listener.streams_changed(room.space_id)
            self._tell_layers(room)

    def _in_background(self, cleanup: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(cleanup)
        self._cleanups.add(task)
        task.add_done_callback(self._cleanups.discard)

    async def _kick_untracked(self, room: Room, feed: int) -> None:
        async with self._feed_turn(feed):
            if feed in room.publishers or self._rooms.get(room.space_id) is not room or room.monitor is None:
                return  # published properly meanwhile, or the room is gone
            log.warning("Feed %s publishes in room %s untracked; kicking it", feed, room.room_id)
            with contextlib.suppress(MediaServerError):  # usually: it has left already
                await room.monitor.request(
                    {"request": "kick", "secret": room.secret, "room": room.room_id, "id": feed}
                )


def _describe(media: list[Any]) -> list[JsonDict]:
    """Labels the offer's streams: audio, then the main camera, then the second camera."""
    descriptions = []
    videos = 0
    for line in media:
        if not line.sends or line.kind not in ("audio", "video"):
            continue
        if line.kind == "audio":
            descriptions.append({"mid": line.mid, "description": "audio"})
        elif (line.track_id or "").startswith(SMALL_LAYER_TRACK_PREFIX):
            descriptions.append({"mid": line.mid, "description": CameraSource.MAIN.value + SMALL_SUFFIX})
        else:
            source = CameraSource.MAIN if videos == 0 else CameraSource.SECOND
            descriptions.append({"mid": line.mid, "description": source.value})
            videos += 1
    return descriptions


def _source(description: object) -> CameraSource | None:
    try:
        return CameraSource(str(description).removesuffix(SMALL_SUFFIX))
    except ValueError:
        return None


def _layer(description: object) -> Layer:
    return "small" if str(description).endswith(SMALL_SUFFIX) else "large"


__all__ = ["FeedStream", "JanusUnavailable", "MediaListener", "MediaService"]
