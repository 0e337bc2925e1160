"""Which camera layers each publisher must encode: those some subscription carries.

A publisher sends its main camera twice, large and small (protocol
``SMALL_LAYER_TRACK_PREFIX``); subscribers take the large layer only for their
big tiles. Encoding a 720p layer nobody receives costs the publisher ~11 ms a
frame, so the backend books which published stream every subscriber handle
carries (offered, current or retiring: all forward) and tells each publisher
what is taken whenever that changes (the `layers_wanted` event).
"""

from __future__ import annotations

from collections.abc import Iterable

from spaces_desktop.domain import CameraSource

Source = tuple[int, str]
"""(publisher feed, publisher mid)."""
Wanted = dict[str, dict[str, bool]]
"""{"main": {"large": bool, "small": bool}}: what a publisher's event carries."""


class LayerBook:
    """Per room: what each subscriber handle carries (backend loop)."""

    def __init__(self) -> None:
        self._carried: dict[int, dict[str, Source]] = {}
        self._told: dict[int, Wanted] = {}

    def carry(self, handle_id: int, slots: dict[str, Source]) -> None:
        """A new subscription handle and its slots (subscription mid → source)."""
        self._carried[handle_id] = dict(slots)

    def switch(self, handle_id: int, sub_mid: str, source: Source) -> None:
        slots = self._carried.get(handle_id)
        if slots is not None:
            slots[sub_mid] = source

    def slot(self, handle_id: int, sub_mid: str) -> Source | None:
        return self._carried.get(handle_id, {}).get(sub_mid)

    def drop(self, handle_id: int) -> None:
        self._carried.pop(handle_id, None)

    def forget(self, feed: int) -> None:
        """The feed unpublished: its next publish is told afresh."""
        self._told.pop(feed, None)

    def taken(self) -> set[Source]:
        return {source for slots in self._carried.values() for source in slots.values()}

    def changes(
        self, layered: dict[int, tuple[str, str]], everything: bool = False
    ) -> Iterable[tuple[int, Wanted]]:
        """(feed, wanted) for every layered publisher whose answer changed since it was last told.

        ``layered`` maps a feed to the mids of its main camera's (large, small)
        layers; ``everything`` (an audience mountpoint forwards every stream)
        wants every layer.
        """
        taken = self.taken()
        for feed in list(self._told):
            if feed not in layered:
                del self._told[feed]  # unpublished: the next publish is told afresh
        for feed, (large, small) in layered.items():
            wanted = {
                CameraSource.MAIN.value: {
                    "large": everything or (feed, large) in taken,
                    "small": everything or (feed, small) in taken,
                }
            }
            if self._told.get(feed) != wanted:
                self._told[feed] = wanted
                yield feed, wanted
