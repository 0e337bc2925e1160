"""The host's app in a Space with a big audience: the People panel (offscreen Qt) under the real state.

Everything the panel sees is a real `SessionState` made by the real reducer
from real protocol values: a join snapshot with the stage and ``listeners``
listeners, then `participant_joined` and `talking` events. The panel is the
app's own, in a window of the app's size, painted for real (offscreen).

- ``gui_first_build_ms``: the snapshot's state handed to a fresh panel, until it is painted.
- ``gui_talking_flip_ms``: median GUI time of one `talking` event (state in, repaint done).
- ``gui_join_ms``: median GUI time of one listener arriving.
- ``gui_stall_p99_ms``: while 100 listeners a second join (the reducer on its own thread, as the
  engine's is), the 99th percentile of how late a 5 ms GUI timer fires.

Run: ``QT_QPA_PLATFORM=offscreen python -m spaces_desktop.bench.audience_gui [listeners]``.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QElapsedTimer, QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication

from spaces_desktop.domain import Role
from spaces_desktop.domain.state import SessionState
from spaces_desktop.protocol import Event, EventType, ParticipantView, Snapshot, SpaceView
from spaces_desktop.session.reducer import apply, from_snapshot

HOST = "p_host"
SPEAKERS = 6
TICK_MS = 5
ARRIVALS_PER_S = 100


class StateRelay(QObject):
    """Carries states from the reducer's thread to the GUI thread (queued), as the engine's bridge does."""

    changed = Signal(object)


def _application() -> QApplication:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QApplication.instance() or QApplication(["spaces-bench"])
    assert isinstance(app, QApplication)
    return app


def _person(
    pid: str, name: str, role: Role, *, publishing: bool = False, asking: bool = False
) -> ParticipantView:
    return ParticipantView(
        id=pid, display_name=name, role=role, publishing=publishing, speak_requested=asking
    )


def join_snapshot(listeners: int) -> Snapshot:
    """What the backend's join returns to the host of a Space with this audience."""
    now = datetime.now(UTC)
    space = SpaceView(
        id="AbC123",
        title="Launch day: ten thousand listeners",
        video_enabled=True,
        status="live",  # type: ignore[arg-type]
        host_id=HOST,
        created_at=now,
        scheduled_for=None,
        started_at=now,
        ended_at=None,
        share_link="http://127.0.0.1:8470/s/AbC123",
    )
    people = [_person(HOST, "Dana Host", Role.HOST, publishing=True)]
    people += [_person(f"p_sp{i}", f"Speaker {i}", Role.SPEAKER, publishing=True) for i in range(SPEAKERS)]
    people += [
        _person(f"p_l{i}", f"Listener {i}", Role.LISTENER, asking=i % 997 == 5) for i in range(listeners)
    ]
    return Snapshot(space=space, participants=people, streams=[], you=HOST, last_event_id=1)


class Events:
    """Real protocol events, numbered as the backend's log numbers them."""

    def __init__(self, first_id: int) -> None:
        self.next_id = first_id

    def _event(self, type_: str, data: dict[str, object]) -> Event:
        self.next_id += 1
        return Event(id=self.next_id, type=type_, data=data, at=datetime.now(UTC))

    def joined(self, pid: str) -> Event:
        view = _person(pid, f"Newcomer {pid}", Role.LISTENER)
        return self._event(EventType.PARTICIPANT_JOINED, {"participant": view.model_dump(mode="json")})

    def talking(self, pid: str, on: bool) -> Event:
        return self._event(EventType.TALKING, {"participant_id": pid, "talking": on, "level_dbov": -20})


def _pump(app: QApplication) -> None:
    app.processEvents()
    app.processEvents()


def _timed(app: QApplication, panel: Any, state: SessionState) -> float:
    """GUI milliseconds from a state arriving to the panel having repainted what changed.

    The event loop runs as the app's would: the view's delayed layout, then the
    paint of the regions the change dirtied (offscreen, into the backing store).
    """
    timer = QElapsedTimer()
    timer.start()
    panel.set_state(state)
    deadline = time.monotonic() + 10
    while not _settled(panel) and time.monotonic() < deadline:
        app.processEvents()
    _pump(app)
    return timer.nsecsElapsed() / 1e6


def _theme(app: QApplication) -> Any:
    from spaces_desktop.ui.qt.theme import Theme, ThemeChoice

    theme = Theme()
    theme.apply(app, ThemeChoice.DARK)
    return theme


def _panel(app: QApplication) -> Any:
    from spaces_desktop.ui.widgets.people_panel import PeoplePanel

    panel = PeoplePanel(_theme(app))
    panel.resize(360, 720)
    panel.show()
    _pump(app)
    return panel


def _screen(app: QApplication) -> Any:
    """The host's whole Space screen: header, the real stage, the People panel, the control bar."""
    from spaces_desktop.session.fake import FakeEngine
    from spaces_desktop.session.frames import FrameBoard
    from spaces_desktop.ui.qt.bridge import GuiDispatcher
    from spaces_desktop.ui.screens.space_screen import SpaceScreen
    from spaces_desktop.ui.stage import StageView
    from spaces_desktop.ui.viewmodels.session_controller import SessionController

    controller = SessionController(FakeEngine(), GuiDispatcher())  # records commands, sends none
    screen = SpaceScreen(_theme(app), controller, StageView(FrameBoard()))
    screen.resize(1180, 760)
    screen.show()
    _pump(app)
    return screen


def _settled(target: Any) -> bool:
    panel = getattr(target, "people", target)
    return bool(getattr(panel, "settled", True))


def _show_stage_rows(target: Any, pid: str) -> None:
    """Scrolls the People list so the speaker's row is on screen: its talking flips get painted."""
    panel = getattr(target, "people", target)
    model = getattr(panel, "model", None)
    if model is not None and hasattr(model, "index_of"):
        panel.flush()
        panel.view.scrollTo(model.index_of("stage", pid))


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _stall_run(
    app: QApplication, panel: Any, state: SessionState, events: Events, seconds: float
) -> list[float]:
    """Listeners join at ARRIVALS_PER_S for ``seconds``; returns how late each GUI tick fired (ms)."""
    relay = StateRelay()
    stop = threading.Event()

    end = time.monotonic() + seconds + 1

    def deliver(new: SessionState) -> None:
        if not stop.is_set() and time.monotonic() < end:  # states queued past the run are dropped
            panel.set_state(new)

    relay.changed.connect(deliver)

    def arrivals() -> None:
        current, n, start = state, 0, time.monotonic()
        while not stop.is_set() and n < int(seconds * ARRIVALS_PER_S):
            due = start + n / ARRIVALS_PER_S
            time.sleep(max(0.0, due - time.monotonic()))
            current = apply(current, events.joined(f"p_s{n}"))
            relay.changed.emit(current)
            n += 1

    lateness: list[float] = []
    clock = QElapsedTimer()
    last = [0.0]

    def tick() -> None:
        now = clock.nsecsElapsed() / 1e6
        lateness.append(max(0.0, now - last[0] - TICK_MS))
        last[0] = now

    ticker = QTimer()
    ticker.setInterval(TICK_MS)
    ticker.timeout.connect(tick)
    producer = threading.Thread(target=arrivals, daemon=True)
    clock.start()
    ticker.start()
    producer.start()
    deadline = time.monotonic() + seconds + 5
    while producer.is_alive() and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.001)
    stop.set()
    producer.join(timeout=5)
    _pump(app)
    ticker.stop()
    return lateness[1:]


def _run(
    app: QApplication, target: Any, listeners: int, flips: int, joins: int, stall_s: float
) -> dict[str, float]:
    snapshot = join_snapshot(listeners)
    state = from_snapshot(snapshot)
    events = Events(snapshot.last_event_id)
    first = _timed(app, target, state)

    speakers = [f"p_sp{i}" for i in range(SPEAKERS)]
    _show_stage_rows(target, speakers[0])
    _pump(app)
    flip_ms: list[float] = []
    for i in range(flips):
        state = apply(state, events.talking(speakers[i % SPEAKERS], i % 2 == 0))
        flip_ms.append(_timed(app, target, state))

    join_ms: list[float] = []
    for i in range(joins):
        state = apply(state, events.joined(f"p_j{i}"))
        join_ms.append(_timed(app, target, state))

    lateness = _stall_run(app, target, state, events, stall_s)
    target.close()
    target.deleteLater()
    _pump(app)
    return {
        "gui_first_build_ms": round(first, 1),
        "gui_talking_flip_ms": round(statistics.median(flip_ms), 2),
        "gui_talking_flip_max_ms": round(max(flip_ms), 2),
        "gui_join_ms": round(statistics.median(join_ms), 2),
        "gui_join_max_ms": round(max(join_ms), 2),
        "gui_stall_p99_ms": round(_p(lateness, 0.99), 1),
        "gui_stall_max_ms": round(max(lateness), 1) if lateness else 0.0,
        "stall_ticks": len(lateness),
    }


def measure(
    listeners: int = 10000, flips: int = 40, joins: int = 100, stall_s: float = 5.0, screen: bool = True
) -> dict[str, Any]:
    """The ``gui_*`` keys: the whole Space screen when ``screen`` (else the panel alone); the
    panel alone is also reported under ``panel_*``."""
    app = _application()
    panel = _run(app, _panel(app), listeners, flips, joins, stall_s)
    result: dict[str, Any] = {"listeners": listeners}
    if screen:
        result.update(_run(app, _screen(app), listeners, flips, joins, stall_s))
        result["gui_measured"] = "space screen (stage, header, People panel, controls)"
    else:
        result.update(panel)
        result["gui_measured"] = "People panel"
    result.update({f"panel_{key.removeprefix('gui_')}": value for key, value in panel.items()})
    result["load_avg_1m"] = round(os.getloadavg()[0], 2)
    result["cpus"] = os.cpu_count()
    return result


def main(argv: list[str] | None = None, out: Callable[[str], None] = print) -> None:
    args = sys.argv[1:] if argv is None else argv
    out(json.dumps(measure(int(args[0]) if args else 10000)))


if __name__ == "__main__":
    main()
