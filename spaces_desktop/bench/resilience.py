"""`bench resilience`: how video behaves when networks and servers fail.

Every case builds its own room: a fresh backend with its own Janus (media on a
fixed UDP range) and four participants running the app's engine (SpaceSession):
a host and a speaker on camera, two listeners. The speaker sits on a network of
its own (a child namespace behind a veth pair), where the case injects faults:

- loss5: 5 % random loss both ways on the speaker's media (nftables) for
  `loss_s`; the worst viewer's longest frozen interval and p95 inter-frame gap;
- cut10 / cut2: the speaker's link down for 10 s / 2 s; from the link returning
  until every viewer has the speaker's video again and the speaker everyone's;
- backend_restart: the backend stopped and started; from it answering again
  until video flows for every viewer/publisher pair;
- janus_kill: kill -9 of Janus; from the kill until video flows for every pair;
- camera_unplug: the speaker's camera fails (device error); until every viewer
  shows the speaker's avatar instead of a frozen picture;
- churn: the speaker toggles their camera every 5 s for `churn_s`; the longest
  gap in anyone else's video on the other tiles.

Recovery means "flowing": ten frames within one second (`participants.recovered_at`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spaces_desktop.bench import netns
from spaces_desktop.bench.environment import BenchBackend
from spaces_desktop.bench.participants import Participant, bring_on_stage, gaps, recovered_at
from spaces_desktop.domain import CameraSource

log = logging.getLogger(__name__)

RTP_PORTS = (20000, 20999)
RECOVERY_TIMEOUT_S = 60.0
TOGGLE_EVERY_S = 5.0


@dataclass(frozen=True)
class Durations:
    loss_s: float
    churn_s: float
    settle_s: float
    """Calm video before a fault is injected."""


FULL = Durations(loss_s=60.0, churn_s=60.0, settle_s=4.0)
QUICK = Durations(loss_s=8.0, churn_s=11.0, settle_s=1.5)


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} within {timeout:.0f} s")
        time.sleep(0.05)


class Room:
    """A backend, the speaker's own network, and four participants with video flowing."""

    def __init__(self, folder: Path, width: int = 640, height: int = 360, fps: float = 30.0) -> None:
        def person(name: str, url: str, camera: bool, namespace: str | None = None) -> Participant:
            joined = Participant(
                name, url, camera=camera, width=width, height=height, fps=fps, namespace=namespace
            )
            self.people.append(joined)
            return joined

        self.link = netns.OwnNetwork("res", "10.79.0")
        self.people: list[Participant] = []
        self.backend: BenchBackend | None = None
        try:
            namespace = self.link.hold()
            self.backend = BenchBackend(
                folder,
                host="0.0.0.0",
                ice_interfaces=f"{netns.MEDIA_INTERFACE},{self.link.outer}",
                rtp_ports=RTP_PORTS,
            )
            self.backend.start()
            self.host = person("Host", self.backend.url, camera=True)
            self.host.call(self.host.session.create("Resilience", "Host", True))
            space = self.host.session.state.space
            assert space is not None
            own_url = f"http://{self.link.gateway}:{self.backend.port}"
            self.speaker = person("Speaker", own_url, camera=True, namespace=namespace)
            self.speaker.call(self.speaker.session.join(space.id, "Speaker"))
            self.speaker.call(bring_on_stage(self.host, self.speaker))
            _wait(lambda: self.speaker.session.state.can_use_camera, 20, "the speaker was not on stage")
            self.listeners = [person(f"Listener {i}", self.backend.url, camera=False) for i in (1, 2)]
            for listener in self.listeners:
                listener.call(listener.session.join(space.id, listener.name))
            self.host.camera_on()
            self.speaker.camera_on()
            if self.wait_flowing(self.pairs(), time.monotonic() - 1) is None:
                raise TimeoutError("video did not flow between everyone")
        except BaseException:
            self.close()
            raise

    def pairs(self, involving: Participant | None = None) -> list[tuple[Participant, Participant]]:
        """(viewer, publisher) for every camera; with `involving`, only pairs it is part of."""
        result = []
        for publisher in (self.host, self.speaker):
            for viewer in self.people:
                if viewer is publisher:
                    continue
                if involving is None or involving in (viewer, publisher):
                    result.append((viewer, publisher))
        return result

    def wait_flowing(
        self, pairs: list[tuple[Participant, Participant]], since: float, timeout: float = RECOVERY_TIMEOUT_S
    ) -> float | None:
        """Seconds from `since` until video flowed again for every pair; None if not within `timeout`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            moments = [
                recovered_at(viewer.times((publisher.id, CameraSource.MAIN)), since)
                for viewer, publisher in pairs
            ]
            if all(m is not None for m in moments):
                return max(m for m in moments if m is not None) - since
            time.sleep(0.1)
        return None

    def close(self) -> None:
        for person in reversed(self.people):
            with contextlib.suppress(Exception):
                person.close()
        if self.backend is not None:
            self.backend.stop()
        self.link.close()


@contextlib.contextmanager
def room(width: int = 640, height: int = 360, fps: float = 30.0) -> Iterator[Room]:
    with tempfile.TemporaryDirectory(prefix="spaces-resilience-") as folder:
        built = Room(Path(folder), width, height, fps)
        try:
            yield built
        finally:
            built.close()


def _rounded(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


# --- the cases ---


def measure_loss(durations: Durations) -> dict[str, Any]:
    with room() as r:
        time.sleep(durations.settle_s)
        r.link.drop_udp(5, RTP_PORTS)
        start = time.monotonic()
        time.sleep(durations.loss_s)
        end = time.monotonic()
        r.link.run_inside("nft", "delete", "table", "inet", "loss")
        worst_freeze, worst_p95 = 0.0, 0.0
        for viewer, _ in r.pairs(involving=r.speaker):
            if viewer is r.speaker:
                continue
            between = gaps(viewer.times((r.speaker.id, CameraSource.MAIN)), start, end)
            worst_freeze = max(worst_freeze, max(between))
            worst_p95 = max(worst_p95, statistics.quantiles(between, n=20)[-1] if len(between) > 20 else 0.0)
        return {
            "loss5_max_freeze_s": round(worst_freeze, 2),
            "loss5_gap_p95_ms": round(worst_p95 * 1000, 1),
        }


def measure_cut(seconds: float, durations: Durations) -> float | None:
    with room() as r:
        time.sleep(durations.settle_s)
        r.link.set_up(False)
        time.sleep(seconds)
        r.link.set_up(True)
        return r.wait_flowing(r.pairs(involving=r.speaker), time.monotonic())


def measure_backend_restart(durations: Durations) -> float | None:
    with room() as r:
        assert r.backend is not None
        time.sleep(durations.settle_s)
        r.backend.stop()
        r.backend.start()
        return r.wait_flowing(r.pairs(), time.monotonic())


def measure_janus_kill(durations: Durations) -> float | None:
    with room() as r:
        assert r.backend is not None
        time.sleep(durations.settle_s)
        os.kill(r.backend.janus_pid(), signal.SIGKILL)
        return r.wait_flowing(r.pairs(), time.monotonic())


def measure_camera_unplug(durations: Durations) -> float | None:
    with room() as r:
        time.sleep(durations.settle_s)
        failed: list[float] = []
        camera = r.speaker.camera()
        camera.subscribe(lambda frame: None, lambda error: failed.append(time.monotonic()))
        camera.fail_now()
        viewers = [v for v, p in r.pairs(involving=r.speaker) if p is r.speaker]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            now = time.monotonic()
            if failed and all(v.shows_avatar(r.speaker.id, now) for v in viewers):
                return now - failed[0]
            time.sleep(0.02)
        return None


def measure_churn(durations: Durations) -> dict[str, Any]:
    with room() as r:
        time.sleep(durations.settle_s)
        # What the host's camera itself delivered: a gap there (this process starved of CPU)
        # is no fault of the subscriptions, and says how loaded the machine was.
        rendered: list[float] = []
        r.host.camera().subscribe(lambda frame: rendered.append(time.monotonic()))
        subscriptions = {viewer.name: viewer.session.report.subscriptions for viewer in r.people}
        start = time.monotonic()
        on = True
        while time.monotonic() - start < durations.churn_s:
            time.sleep(min(TOGGLE_EVERY_S, max(0.0, durations.churn_s - (time.monotonic() - start))))
            on = not on
            r.speaker.camera_on(on)
        end = time.monotonic()
        # The host's video on everyone else's screen, the speaker's included.
        blanks = {
            viewer.name: max(gaps(viewer.times((r.host.id, CameraSource.MAIN)), start, end))
            for viewer in r.people
            if viewer is not r.host
        }
        worst = max(blanks, key=lambda name: blanks[name])
        resubscribed = sum(
            viewer.session.report.subscriptions - subscriptions[viewer.name] for viewer in r.people
        )
        return {
            "churn_max_blank_ms": round(blanks[worst] * 1000, 1),
            "churn_worst_viewer": worst,
            "churn_camera_max_gap_ms": round(max(gaps(list(rendered), start, end)) * 1000, 1),
            "churn_resubscriptions": resubscribed,
        }


CASES = ("loss5", "cut10", "cut2", "backend", "janus", "camera", "churn")


def run_resilience(quick: bool = False, cases: list[str] | None = None) -> dict[str, Any]:
    durations = QUICK if quick else FULL
    chosen = set(cases or CASES)
    unknown = chosen - set(CASES)
    if unknown:
        raise ValueError(
            f"unknown resilience cases: {', '.join(sorted(unknown))} (known: {', '.join(CASES)})"
        )
    result: dict[str, Any] = {"quick": quick, "loss_s": durations.loss_s, "churn_s": durations.churn_s}
    measures: dict[str, Callable[[], dict[str, Any]]] = {
        "loss5": lambda: measure_loss(durations),
        "cut10": lambda: {"cut10_recovery_s": _rounded(measure_cut(10.0, durations))},
        "cut2": lambda: {"cut2_recovery_s": _rounded(measure_cut(2.0, durations))},
        "backend": lambda: {"backend_restart_recovery_s": _rounded(measure_backend_restart(durations))},
        "janus": lambda: {"janus_kill_recovery_s": _rounded(measure_janus_kill(durations))},
        "camera": lambda: {"camera_unplug_avatar_s": _rounded(measure_camera_unplug(durations))},
        "churn": lambda: measure_churn(durations),
    }
    for case in CASES:
        if case not in chosen:
            continue
        try:
            result.update(measures[case]())
        except Exception as exc:  # one broken case must not hide the others' numbers
            log.warning("resilience case %s failed", case, exc_info=True)
            result[f"{case}_error"] = f"{type(exc).__name__}: {exc}"
    return result


__all__ = ["RTP_PORTS", "Room", "room", "run_resilience"]
