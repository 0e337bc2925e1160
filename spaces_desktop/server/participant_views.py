"""Participant views built once per change, and snapshots encoded from their cached JSON.

A snapshot lists everyone in the Space, and a busy Space is read (and joined)
many times a second, so building and encoding each view again every time costs
the event loop milliseconds per read. A cached view is reused only while the
store hands back the very same row object and its publishing flag is the same:
the store replaces a participant's row object on every write, so a change can
never be served stale, whichever path made it. A whole list (the Space's
participants, its lobby) is reused while the store's version of the Space and
the set of publishing feeds are the ones it was built with.

Someone who is not a moderator sees other people's rows without what only the
host and co-hosts should know (a pending speak request, an invitation): the
`public` variant of a view, cached beside it.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass

from spaces_desktop.domain import ParticipantStatus
from spaces_desktop.protocol import Joined, ParticipantPage, ParticipantView, Snapshot
from spaces_desktop.server.store import ParticipantRow

_SNAPSHOT_LISTS = {"participants", "waiting"}
_LISTED = (ParticipantStatus.ACTIVE, ParticipantStatus.PENDING)


@dataclass(frozen=True)
class _Cached:
    row: ParticipantRow
    publishing: bool
    view: ParticipantView
    json: bytes
    public: ParticipantView
    """The view without moderator-only fields (the same object when it has none set)."""
    public_json: bytes


@dataclass(frozen=True)
class _Listing:
    stamp: tuple[int, frozenset[int]]
    """The store's version of the Space and the publishing feeds it was built with."""
    views: list[ParticipantView]
    json: bytes
    """The views' JSON, comma-separated (the inside of a JSON array)."""


class ParticipantViews:
    def __init__(self) -> None:
        self._spaces: dict[str, dict[str, _Cached]] = {}
        """Space id -> participant id -> the view of its current row."""
        self._listings: dict[tuple[str, ParticipantStatus], _Listing] = {}

    def listed(
        self,
        space_id: str,
        status: ParticipantStatus,
        stamp: tuple[int, frozenset[int]],
        rows: Callable[[], list[ParticipantRow]],
    ) -> list[ParticipantView]:
        """The views of `rows` (everyone with `status`), built again only when `stamp` changed."""
        listing = self._listings.get((space_id, status))
        if listing is None or listing.stamp != stamp:
            feeds = stamp[1]
            space = self._spaces.setdefault(space_id, {})
            entries = [self._entry(space, row, row.seq in feeds) for row in rows()]
            views = [entry.view for entry in entries]
            listing = _Listing(stamp, views, b",".join([entry.json for entry in entries]))
            self._listings[(space_id, status)] = listing
        return list(listing.views)  # a copy: whoever holds it cannot change the cached one

    def view(self, row: ParticipantRow, publishing: bool, public: bool = False) -> ParticipantView:
        """The row's view; `public` leaves out what only moderators may see."""
        entry = self._entry(self._spaces.setdefault(row.space_id, {}), row, publishing)
        return entry.public if public else entry.view

    @staticmethod
    def _entry(space: dict[str, _Cached], row: ParticipantRow, publishing: bool) -> _Cached:
        cached = space.get(row.id)
        if cached is not None and cached.row is row and cached.publishing == publishing:
            return cached
        # Every value comes from a stored row of the right type: no validation needed.
        view = ParticipantView.model_construct(
            id=row.id,
            display_name=row.display_name,
            role=row.role,
            status=row.status,
            speak_requested=row.speak_requested,
            invited=row.invited,
            hand_raised=row.hand_raised,
            muted=row.muted,
            camera_on=row.camera_on,
            second_camera_on=row.second_camera_on,
            publishing=publishing,
            backstage=row.backstage,
        )
        encoded = view.model_dump_json().encode()
        public, public_json = view, encoded
        if row.speak_requested or row.invited:
            public = view.model_copy(update={"speak_requested": False, "invited": False})
            public_json = public.model_dump_json().encode()
        cached = _Cached(row, publishing, view, encoded, public, public_json)
        if row.status in _LISTED:
            space[row.id] = cached
        else:  # gone: no snapshot lists it again
            space.pop(row.id, None)
        return cached

    def forget_space(self, space_id: str) -> None:
        self._spaces.pop(space_id, None)
        for status in ParticipantStatus:
            self._listings.pop((space_id, status), None)

    def _list_json(self, views: list[ParticipantView], space_id: str, status: ParticipantStatus) -> bytes:
        listing = self._listings.get((space_id, status))
        if (
            listing is not None
            and len(listing.views) == len(views)
            and all(map(operator.is_, listing.views, views))
        ):
            return listing.json
        return b",".join(self.json(v, space_id) for v in views)

    def json(self, view: ParticipantView, space_id: str) -> bytes:
        cached = self._spaces.get(space_id, {}).get(view.id)
        if cached is not None and cached.view is view:
            return cached.json
        if cached is not None and cached.public is view:
            return cached.public_json
        return view.model_dump_json().encode()

    def snapshot_json(self, snapshot: Snapshot) -> bytes:
        """The snapshot as `model_dump_json` would write it, with each participant's JSON cached."""
        space_id = snapshot.space.id
        rest = snapshot.model_dump_json(exclude=_SNAPSHOT_LISTS).encode()
        participants = self._list_json(snapshot.participants, space_id, ParticipantStatus.ACTIVE)
        waiting = self._list_json(snapshot.waiting, space_id, ParticipantStatus.PENDING)
        return rest[:-1] + b',"participants":[' + participants + b'],"waiting":[' + waiting + b"]}"

    def page_json(self, page: ParticipantPage, space_id: str) -> bytes:
        rest = page.model_dump_json(exclude={"participants"}).encode()
        listed = b",".join(self.json(v, space_id) for v in page.participants)
        return rest[:-1] + b',"participants":[' + listed + b"]}"

    def joined_json(self, joined: Joined) -> bytes:
        rest = joined.model_dump_json(exclude={"snapshot"}).encode()
        return rest[:-1] + b',"snapshot":' + self.snapshot_json(joined.snapshot) + b"}"


__all__ = ["ParticipantViews"]
