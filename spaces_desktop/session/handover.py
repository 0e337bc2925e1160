"""Make before break between subscriptions: which one plays each remote stream.

A new subscription is built while the old one keeps playing. Each subscription
has a generation; a stream's frames are taken from the newest generation that
has delivered one, so the two never interleave on a tile or in the mixer. The
old subscription may close once the current one delivers every stream they share.
"""

from __future__ import annotations

from spaces_desktop.domain import CameraSource
from spaces_desktop.protocol import StreamView

StreamKey = tuple[str, str, str]
"""(participant, kind, source): the same stream in any subscription."""


def stream_key(stream: StreamView) -> StreamKey:
    source = (stream.source or CameraSource.MAIN).value if stream.kind == "video" else ""
    return (stream.participant_id, stream.kind, source)


class Handover:
    def __init__(self) -> None:
        self._owner: dict[StreamKey, int] = {}
        self._delivered: dict[int, set[StreamKey]] = {}

    def accept(self, generation: int, key: StreamKey) -> bool:
        """Whether a frame of `generation` plays; False once a newer subscription delivers the stream."""
        if generation < self._owner.get(key, -1):
            return False
        self._owner[key] = generation
        self._delivered.setdefault(generation, set()).add(key)
        return True

    def taken_over(self, old: int, new: int, new_keys: set[StreamKey]) -> bool:
        """Whether `new` now delivers every stream `old` delivered that `new` carries too."""
        shared = self._delivered.get(old, set()) & new_keys
        return shared <= self._delivered.get(new, set())

    def forget(self, generation: int) -> None:
        self._delivered.pop(generation, None)
