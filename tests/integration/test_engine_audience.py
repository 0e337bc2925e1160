"""The real engine in a crowded Space: the host's app lists every listener, a listener's app counts."""

from __future__ import annotations

import asyncio

from spaces_desktop.domain import Role
from spaces_desktop.session.engine import Engine
from tests.integration.test_engine_lobby import QUIET, Recorder, with_timeout
from tests.support.api import join
from tests.support.backend import Backend

CROWD = 70
"""More than the first page a join returns (20), so the host's app has to page the rest in."""


def test_the_host_app_lists_everyone_and_a_listener_app_shows_the_count(unlimited_backend: Backend) -> None:
    host_states, lou_states = Recorder(), Recorder()
    host = Engine(host_states, play_audio=False)
    lou = Engine(lou_states, play_audio=False)
    try:
        url = unlimited_backend.url
        host.create_space(url, "Crowd", "Hana Host", False, QUIET).result(15)
        space = host_states.wait(lambda s: s.space is not None).space
        assert space is not None

        async def crowd() -> None:
            await asyncio.gather(
                *(join(url, space.id, f"Fan {i}", client_id=f"engine-fan-{i:03d}") for i in range(CROWD))
            )

        asyncio.run(crowd())
        lou.join(space.share_link, "Lou", QUIET, "install-lou-01").result(20)
        listed = host_states.wait(lambda s: len(s.listeners) == CROWD + 1, 20)
        assert listed.listener_count == CROWD + 1
        # Lou's app: the stage and herself as rows, everyone else as the backend's count.
        counted = lou_states.wait(lambda s: s.listener_count == CROWD + 1, 10)
        assert {m.id for m in counted.listeners} == {counted.me}
        assert not counted.roster_complete
        # Made a co-host, Lou's app pages in every listener past its join's first page, then counts rows.
        assert counted.me is not None
        host.set_role(counted.me, Role.COHOST).result(10)
        moderating = lou_states.wait(lambda s: s.roster_complete and len(s.listeners) == CROWD, 20)
        assert moderating.listener_count == CROWD
        assert {m.id for m in moderating.listeners} == {m.id for m in listed.listeners} - {counted.me}
    finally:
        for engine in (lou, host):
            with_timeout(engine.leave())
            engine.shutdown()
