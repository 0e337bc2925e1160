"""Roles in a Space, their limits and what each may do.

The limits follow X Spaces: one host, at most two co-hosts, at most ten speakers
(not counting the host and co-hosts) and any number of listeners.
"""

from __future__ import annotations

from enum import StrEnum

MAX_COHOSTS = 2
MAX_SPEAKERS = 10


class Role(StrEnum):
    HOST = "host"
    COHOST = "cohost"
    SPEAKER = "speaker"
    LISTENER = "listener"


class SpaceStatus(StrEnum):
    SCHEDULED = "scheduled"
    LIVE = "live"
    ENDED = "ended"


class ParticipantStatus(StrEnum):
    ACTIVE = "active"
    LEFT = "left"
    REMOVED = "removed"
    PENDING = "pending"  # waiting in the lobby for a host to let them in
    DENIED = "denied"  # a host did not let them in


class CameraSource(StrEnum):
    """Which camera a video stream comes from: the speaker's own, or a second (product) camera."""

    MAIN = "main"
    SECOND = "second"


def may_speak(role: Role) -> bool:
    """Whether this role may publish audio and, in a Space with video, video."""
    return role is not Role.LISTENER


def is_moderator(role: Role) -> bool:
    """Hosts and co-hosts manage requests, speakers, mutes and removals."""
    return role in (Role.HOST, Role.COHOST)


def outranks(actor: Role, target: Role) -> bool:
    """Whether a moderator may act on someone of the target role (mute, demote, remove).

    The host may act on anyone else; a co-host only on speakers and listeners.
    """
    if actor is Role.HOST:
        return target is not Role.HOST
    if actor is Role.COHOST:
        return target in (Role.SPEAKER, Role.LISTENER)
    return False
