"""Asking servers which of a host's Spaces are still scheduled (engine loop).

A host may have scheduled Spaces on several servers (the built-in one, a
team's); each server is asked once for the tokens of its own links, all at
the same time, each bounded by ``ASK_TIMEOUT_S``. A server that does not answer
(down, unreachable, too old to know the route) leaves its links "unreachable",
so the app keeps what it knew of them instead of forgetting them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from spaces_desktop.errors import SpacesError
from spaces_desktop.session.port import ScheduledSpace, Upcoming
from spaces_desktop.signaling.client import SpacesClient
from spaces_desktop.signaling.links import parse_link

log = logging.getLogger(__name__)

ASK_TIMEOUT_S = 8.0


async def ask_servers(kept: Mapping[str, str]) -> Upcoming:
    """``kept`` maps each share link to its host token."""
    by_server: dict[str, dict[str, str]] = {}
    unreadable: set[str] = set()
    for link in kept:
        try:
            base, space_id = parse_link(link)
        except SpacesError:
            unreadable.add(link)
            continue
        by_server.setdefault(base, {})[space_id] = link
    answers = await asyncio.gather(
        *(
            _ask(base, {space_id: kept[link] for space_id, link in links.items()})
            for base, links in by_server.items()
        )
    )
    spaces: list[ScheduledSpace] = []
    gone: set[str] = set(unreadable)
    unreachable: set[str] = set()
    for links, listed in zip(by_server.values(), answers, strict=True):
        if listed is None:
            unreachable.update(links.values())
            continue
        for space_id, link in links.items():
            found = listed.get(space_id)
            if found is None:
                gone.add(link)
            else:
                spaces.append(ScheduledSpace(link, found.title, found.starts_at))
    spaces.sort(key=lambda s: s.starts_at)
    return Upcoming(tuple(spaces), frozenset(gone), frozenset(unreachable))


async def _ask(base: str, tokens: Mapping[str, str]) -> dict[str, ScheduledSpace] | None:
    """Space id -> what the server lists; None when the server did not answer."""
    try:
        async with SpacesClient(base) as client:
            answer = await asyncio.wait_for(client.scheduled_spaces(list(tokens.values())), ASK_TIMEOUT_S)
    except (SpacesError, TimeoutError) as exc:
        log.info("Could not ask %s about scheduled Spaces: %s", base, getattr(exc, "message", exc))
        return None
    return {s.id: ScheduledSpace(s.share_link, s.title, s.scheduled_for) for s in answer.spaces}
