"""Live event fan-out from Redis Streams, for several backends sharing one Redis.

`publish` only appends to the Space's stream (XADD). One reader task per process
follows the streams of the Spaces it has live feeds for (XREAD BLOCK) and hands
every entry to those feeds in stream order, so a feed sees its own backend's
events and everyone else's in one order, never twice. When a Space gets its
first feed here, its cursor starts at the stream's last entry at that moment:
the feed's replay from the log (XRANGE, done after subscribing) covers
everything up to then, the reader everything after. Ending feeds (removal,
leaving, the end of a Space) is a control entry in the stream, so it reaches
the feeds on every backend, after the events logged before it.

Feeds are kept by viewer, as in the in-process bus: an event for one
participant touches that viewer's feeds only, and an event for the moderators
(`audience` MODERATORS) goes to the feeds of whoever is host or co-host when the
reader hands it out (the shared roster, checked against its version), never to
a listener's, whichever backend logged it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from typing import Any, cast

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from spaces_desktop.server.event_bus import Subscription, add_subscription, deliver, drop_subscription
from spaces_desktop.server.redis_store import ALL_VIEWERS, CONTROL_FIELD, RedisStore, event_from_entry
from spaces_desktop.server.store import EventRow

log = logging.getLogger(__name__)

BLOCK_MS = 200
"""How long one XREAD waits; a Space that gets its first feed here is read from at the next round."""
READ_COUNT = 500
RETRY_S = 0.5


class RedisEventBus:
    def __init__(self, store: RedisStore, client: aioredis.Redis) -> None:
        self._store = store
        self._client = client
        self._subscriptions: dict[str, dict[str, set[Subscription]]] = defaultdict(dict)
        """Space id -> viewer id -> that viewer's feeds open here."""
        self._cursors: dict[str, str] = {}
        """Space id -> the last stream id handed to its feeds here."""
        self._task: asyncio.Task[None] | None = None

    # --- the EventFanout interface ---

    def publish(
        self,
        space_id: str,
        type_: str,
        data: dict[str, Any],
        target_id: str | None = None,
        audience: str | None = None,
    ) -> EventRow:
        return self._store.append_event(space_id, type_, data, target_id, audience)

    def subscribe(self, space_id: str, viewer_id: str) -> Subscription:
        if space_id not in self._cursors:
            self._cursors[space_id] = f"0-{self._store.last_event_id(space_id)}"
        return add_subscription(self._subscriptions, space_id, viewer_id)

    def unsubscribe(self, subscription: Subscription) -> None:
        if drop_subscription(self._subscriptions, subscription):
            self._cursors.pop(subscription.space_id, None)

    def close_viewer(self, space_id: str, viewer_id: str) -> None:
        self._store.append_close(space_id, viewer_id)

    def close_space(self, space_id: str) -> None:
        self._store.append_close(space_id, ALL_VIEWERS)

    def close_all(self) -> None:
        for viewers in tuple(self._subscriptions.values()):
            for subs in tuple(viewers.values()):
                for subscription in tuple(subs):
                    subscription.close()

    def listener_count(self, space_id: str) -> int:
        return sum(len(subs) for subs in self._subscriptions.get(space_id, {}).values())

    # --- the reader ---

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._read_forever(), name="redis-events")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _read_forever(self) -> None:
        while True:
            try:
                await self.read_once()
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                log.warning("Reading the event streams failed (%s); retrying", type(exc).__name__)
                await asyncio.sleep(RETRY_S)

    async def read_once(self) -> None:
        """One XREAD round over the watched Spaces' streams (waits up to BLOCK_MS)."""
        if not self._cursors:
            await asyncio.sleep(BLOCK_MS / 1000)
            return
        streams = {self._store.events_key(space): cursor for space, cursor in self._cursors.items()}
        by_key = {self._store.events_key(space): space for space in self._cursors}
        replies = cast(
            list[tuple[str, list[tuple[str, dict[str, str]]]]],
            await self._client.xread(streams, count=READ_COUNT, block=BLOCK_MS),  # type: ignore[arg-type]
        )
        for key, entries in replies or []:
            space_id = by_key[key]
            for stream_id, fields in entries:
                self._deliver(space_id, stream_id, fields)

    def _deliver(self, space_id: str, stream_id: str, fields: dict[str, str]) -> None:
        if space_id not in self._cursors:
            return  # its last feed went away while the read was out
        self._cursors[space_id] = stream_id
        viewers = self._subscriptions.get(space_id, {})
        closing = fields.get(CONTROL_FIELD)
        if closing is not None:
            closed = viewers.values() if closing == ALL_VIEWERS else [viewers.get(closing, set())]
            for subscription in [sub for subs in closed for sub in subs]:
                subscription.close()
            return
        deliver(event_from_entry(space_id, stream_id, fields), viewers, self._store.moderator_ids)
