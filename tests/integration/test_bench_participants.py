"""Benchmark participants: each engine in a process of its own, placed in its network, always ended."""

from __future__ import annotations

import os
import signal
import time

import pytest

from spaces_desktop.bench import netns
from spaces_desktop.bench.participants import CLOSE_TIMEOUT_S, Participant

# Nothing listens here: the engine starts without a server and is never asked to reach one.
NOWHERE = "http://127.0.0.1:9"


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # A zombie still answers kill(0); it has exited all the same.
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(") ", 1)[1].startswith("Z")


def test_the_engine_runs_in_its_own_process_answers_commands_and_exits_when_closed() -> None:
    person = Participant("Solo", NOWHERE, camera=False)
    assert person.pid is not None and person.pid != os.getpid()
    assert person.subscriptions() == 0 and not person.can_use_camera()
    with pytest.raises(RuntimeError, match="unknown command"):
        person.call("no_such_thing")
    started = time.monotonic()
    person.close()
    assert time.monotonic() - started < CLOSE_TIMEOUT_S
    assert not person.killed and _gone(person.pid)


def test_an_engine_that_does_not_answer_is_killed_at_close() -> None:
    person = Participant("Frozen", NOWHERE, camera=False)
    assert person.pid is not None
    os.kill(person.pid, signal.SIGSTOP)
    started = time.monotonic()
    person.close()
    took = time.monotonic() - started
    assert person.killed and _gone(person.pid)
    assert CLOSE_TIMEOUT_S - 0.5 < took < CLOSE_TIMEOUT_S + 2.5, took


def test_a_participant_on_its_own_network_makes_its_sockets_there() -> None:
    link = netns.OwnNetwork("bpt", "10.81.0")
    try:
        namespace = link.hold()
        person = Participant("Away", NOWHERE, camera=False, namespace=namespace)
        try:
            assert person.pid is not None
            assert os.readlink(f"/proc/{person.pid}/ns/net") == os.readlink(namespace)
            assert os.readlink(f"/proc/{person.pid}/ns/net") != os.readlink("/proc/self/ns/net")
        finally:
            person.close()
    finally:
        link.close()
