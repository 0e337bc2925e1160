"""Listing a host's Spaces scheduled for later, by the host tokens the caller holds.

Why tokens and not the installation's ``client_id``: the client id is sent to
every server a person joins and kept in plain text for bans, so anyone who
learned it could list someone else's Spaces; a host token is a 256-bit secret
stored only as a digest, and whoever holds it may already start or end that
Space. So the listing reveals nothing its caller could not already do. A token
that is unknown, not a host's, or whose Space is no longer scheduled is left out
without saying which: the answer never tells a guesser more than "not yours".
"""

from __future__ import annotations

from collections.abc import Sequence

from spaces_desktop.domain import Role, SpaceStatus
from spaces_desktop.protocol import ScheduledSpaces, ScheduledSpaceView
from spaces_desktop.server.store_api import SpaceStore


def scheduled_spaces(store: SpaceStore, public_url: str, tokens: Sequence[str]) -> ScheduledSpaces:
    found: list[ScheduledSpaceView] = []
    for token in dict.fromkeys(tokens):  # a token asked twice is listed once
        host = store.participant_by_token(token)
        if host is None or host.role is not Role.HOST:
            continue
        space = store.space(host.space_id)
        if (
            space is None
            or space.host_id != host.id
            or space.status is not SpaceStatus.SCHEDULED
            or space.scheduled_for is None
        ):
            continue
        found.append(
            ScheduledSpaceView(
                id=space.id,
                title=space.title,
                video_enabled=space.video_enabled,
                scheduled_for=space.scheduled_for,
                share_link=f"{public_url.rstrip('/')}/s/{space.id}",
            )
        )
    found.sort(key=lambda s: s.scheduled_for)
    return ScheduledSpaces(spaces=found)
