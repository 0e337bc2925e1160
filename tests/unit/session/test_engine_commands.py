"""Engine commands run on the engine's loop: settings from the GUI never touch it from the GUI's thread."""

from __future__ import annotations

import threading

from spaces_desktop.media.stage_director import StageDirectorSettings
from spaces_desktop.session.engine import Engine


def test_stage_settings_change_on_the_engine_thread() -> None:
    engine = Engine(lambda _: None)
    try:
        seen: list[str] = []
        settings = StageDirectorSettings(onset_s=0.1)
        original = engine.submit

        def watched(factory):  # type: ignore[no-untyped-def]
            async def run():  # type: ignore[no-untyped-def]
                seen.append(threading.current_thread().name)
                return await factory()

            return original(run)

        engine.submit = watched  # type: ignore[method-assign]
        engine.set_director(settings).result(timeout=2)
        assert engine.director is settings
        assert seen == ["spaces-engine"]
    finally:
        engine.shutdown()
