"""Spaces, participants, roles and permissions: pure Python, no Qt, no I/O."""

from spaces_desktop.domain.roles import (
    MAX_COHOSTS,
    MAX_SPEAKERS,
    CameraSource,
    ParticipantStatus,
    Role,
    SpaceStatus,
    is_moderator,
    may_speak,
    outranks,
)

__all__ = [
    "MAX_COHOSTS",
    "MAX_SPEAKERS",
    "CameraSource",
    "ParticipantStatus",
    "Role",
    "SpaceStatus",
    "is_moderator",
    "may_speak",
    "outranks",
]
