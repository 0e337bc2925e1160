"""Appends events to a Space's log and fans them out to live event streams.

Every event is written to the store first, so its id is final before anyone
sees it; a stream that falls behind is closed rather than allowed to grow
without bound, and its client resumes from the log with Last-Event-ID.
Streams are kept by viewer, so an event for one participant or for the
moderators touches only their streams, not the whole audience's.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from spaces_desktop.server.store import MODERATORS, EventRow, Store

QUEUE_LIMIT = 1024


class Subscription:
    """One participant's live feed of a Space's events (runs on the backend's loop)."""

    def __init__(self, space_id: str, viewer_id: str) -> None:
        self.space_id = space_id
        self.viewer_id = viewer_id
        self.queue: asyncio.Queue[EventRow | None] = asyncio.Queue(QUEUE_LIMIT)
        self.overflowed = False

    def offer(self, event: EventRow, chosen: bool = False) -> None:
        """Queues the event; `chosen`: the caller picked this viewer as one it is for. Otherwise
        only events for everyone or for this viewer pass (a moderators' event needs choosing)."""
        if not chosen and not (
            event.target_id == self.viewer_id or (event.target_id is None and event.audience is None)
        ):
            return
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.overflowed = True

    def close(self) -> None:
        # A None wakes the reader; if the queue is full it is already going to stop.
        try:
            self.queue.put_nowait(None)
        except asyncio.QueueFull:
            self.overflowed = True


def deliver(
    event: EventRow, viewers: dict[str, set[Subscription]], moderator_ids: Callable[[str], list[str]]
) -> None:
    """Hands the event to the feeds (by viewer id) it is for; moderators are asked for only when
    the event is theirs, so it reaches whoever holds the role as the event goes out."""
    if event.audience == MODERATORS:
        recipients = set(moderator_ids(event.space_id))
        if event.target_id is not None:
            recipients.add(event.target_id)
        chosen = [sub for viewer in recipients for sub in viewers.get(viewer, ())]
    elif event.target_id is not None:
        chosen = list(viewers.get(event.target_id, ()))
    else:
        chosen = [sub for subs in viewers.values() for sub in subs]
    for subscription in chosen:
        subscription.offer(event, chosen=True)


Registry = dict[str, dict[str, set[Subscription]]]
"""Space id → viewer id → that viewer's live streams (both buses keep their feeds so)."""


def add_subscription(registry: Registry, space_id: str, viewer_id: str) -> Subscription:
    subscription = Subscription(space_id, viewer_id)
    registry.setdefault(space_id, {}).setdefault(viewer_id, set()).add(subscription)
    return subscription


def drop_subscription(registry: Registry, subscription: Subscription) -> bool:
    """Forgets one stream; True when its Space has no streams left here."""
    viewers = registry.get(subscription.space_id)
    if viewers is None:
        return False
    subs = viewers.get(subscription.viewer_id)
    if subs is not None:
        subs.discard(subscription)
        if not subs:
            del viewers[subscription.viewer_id]
    if viewers:
        return False
    del registry[subscription.space_id]
    return True


class EventBus:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._subscriptions: dict[str, dict[str, set[Subscription]]] = defaultdict(dict)
        """Space id -> viewer id -> that viewer's open streams."""

    def publish(
        self,
        space_id: str,
        type_: str,
        data: dict[str, Any],
        target_id: str | None = None,
        audience: str | None = None,
    ) -> EventRow:
        """Logs the event and offers it to the streams allowed to see it (see `EventRow.visible_to`)."""
        event = self._store.append_event(space_id, type_, data, target_id, audience)
        viewers = self._subscriptions.get(space_id)
        if viewers:
            deliver(event, viewers, self._store.moderator_ids)
        return event

    def subscribe(self, space_id: str, viewer_id: str) -> Subscription:
        return add_subscription(self._subscriptions, space_id, viewer_id)

    def unsubscribe(self, subscription: Subscription) -> None:
        drop_subscription(self._subscriptions, subscription)

    def close_viewer(self, space_id: str, viewer_id: str) -> None:
        """Ends the live streams of one participant (after removal)."""
        for subscription in tuple(self._subscriptions.get(space_id, {}).get(viewer_id, ())):
            subscription.close()

    def close_space(self, space_id: str) -> None:
        for subs in tuple(self._subscriptions.get(space_id, {}).values()):
            for subscription in tuple(subs):
                subscription.close()

    def close_all(self) -> None:
        """Ends every live stream (the backend is stopping; clients resume from the log)."""
        for space_id in tuple(self._subscriptions):
            self.close_space(space_id)

    def listener_count(self, space_id: str) -> int:
        return sum(len(subs) for subs in self._subscriptions.get(space_id, {}).values())
