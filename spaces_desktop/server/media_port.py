"""What the Spaces service asks of the media side: the seam between the rules and Janus.

`server/media.py`'s `MediaService` is the real one (a Janus VideoRoom per Space);
tests pass a fake (tests/support/fakes.py) whose calls can be held open, so a
check that must hold again after an await can be raced deterministically.
Every method runs on the backend's loop; feeds are participants' `seq` numbers.
"""

from __future__ import annotations

from typing import Any, Protocol

from spaces_desktop.protocol import StreamView
from spaces_desktop.server.media import FeedStream


class MediaPort(Protocol):
    def streams(self, space_id: str) -> list[FeedStream]:
        """What the Space's room publishes now (no await: read between checks and writes)."""
        ...

    async def open_room(self, space_id: str, room_id: int) -> None: ...

    async def close_room(self, space_id: str) -> None: ...

    async def publish(self, space_id: str, feed: int, offer_sdp: str, allow_video: bool, muted: bool) -> str:
        """Janus's answer SDP; whatever the feed published before is replaced."""
        ...

    async def unpublish(self, space_id: str, feed: int) -> bool:
        """True if the feed was publishing."""
        ...

    async def moderate(self, space_id: str, feed: int, mute: bool) -> None: ...

    async def kick(self, space_id: str, feed: int) -> None:
        """Takes the feed out entirely: its publish and its subscription."""
        ...

    async def subscribe(
        self, space_id: str, feed: int, choices: list[tuple[int, str]] | None
    ) -> tuple[str, list[StreamView]]:
        """An offer for the chosen (feed, mid) streams, or all but the caller's own."""
        ...

    async def start_subscription(self, space_id: str, feed: int, answer_sdp: str) -> None: ...

    async def switch(self, space_id: str, feed: int, changes: list[tuple[str, int, str]]) -> list[StreamView]:
        """Re-points (subscription mid, feed, mid) slots of the current subscription, no renegotiation."""

    async def unsubscribe(self, space_id: str, feed: int) -> None:
        """Drops the feed's subscriptions (current and pending); it may subscribe again."""
        ...

    async def trickle(
        self, space_id: str, feed: int, target: str, candidates: list[dict[str, Any]], completed: bool
    ) -> None: ...


__all__ = ["MediaPort"]
