"""The green room: who may see and hear a backstage speaker (enforced here, on the server).

A speaker invited backstage publishes to the room like anyone on stage, but their
feeds are left out of every stream list, talking event and subscription of the
audience; only the host and co-hosts see them. Bringing them on stage flips one
flag: their feeds appear in the public stream list and listeners subscribe to the
publisher that is already up, with no new negotiation on the speaker's side.
Backstage is one way: once on stage, a speaker cannot be sent back (the audience
would already hold subscriptions to their feeds).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from spaces_desktop.domain import is_moderator
from spaces_desktop.server.store import ParticipantRow

T = TypeVar("T")


def sees_backstage(viewer: ParticipantRow | None) -> bool:
    """Whether this viewer may see and hear backstage speakers (the host and co-hosts, as stored now)."""
    return viewer is not None and is_moderator(viewer.role)


def visible(
    viewer: ParticipantRow | None, streams: Iterable[tuple[ParticipantRow, T]]
) -> list[tuple[ParticipantRow, T]]:
    """The (owner, stream) pairs this viewer may see."""
    if sees_backstage(viewer):
        return list(streams)
    return [(owner, stream) for owner, stream in streams if not owner.backstage]


def hidden_from(viewer: ParticipantRow | None, owner: ParticipantRow) -> bool:
    return owner.backstage and not sees_backstage(viewer)


BACKSTAGE_UNSEEN = "That stream is not being published."
"""What a listener asking for a backstage feed hears: the same as for a feed that does not exist."""

__all__ = ["BACKSTAGE_UNSEEN", "hidden_from", "sees_backstage", "visible"]
