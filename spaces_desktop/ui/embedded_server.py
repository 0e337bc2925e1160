"""The built-in Spaces backend (and its private Janus), run inside the app on loopback.

``start`` returns at once: a thread named ``embedded-server`` binds a free port
on 127.0.0.1, builds the backend and serves it with uvicorn; ``on_ready(url)``
or ``on_failed(message)`` is then called **on that thread** (hop to the GUI
with the dispatcher). ``stop`` asks uvicorn to finish, which stops Janus
through the backend's lifespan, and joins the thread.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from spaces_desktop.errors import ConfigError

log = logging.getLogger(__name__)

JANUS_MISSING = (
    "Janus, the media server Spaces runs on, isn't installed on this computer. "
    "Install it with “sudo apt-get install janus” (Debian/Ubuntu) or “brew install janus” (macOS) "
    "and restart the app — or choose “A Spaces server” below and enter the address of one."
)
READY_TIMEOUT_S = 30.0


class ServerPort(Protocol):
    """What the main window needs of a local backend."""

    @property
    def url(self) -> str | None: ...

    def start(self, on_ready: Callable[[str], None], on_failed: Callable[[str], None]) -> None: ...

    def stop(self, timeout: float = 8.0) -> None: ...


NO_BUILT_IN_SERVER = (
    'This build of Spaces has no built-in server. Choose "A Spaces server" and enter its address.'
)


def _find_janus() -> str:
    from spaces_desktop.server.janus_process import find_janus

    return find_janus(None)


class _ErrorTap(logging.Handler):
    """Keeps the last error the backend logged while starting, to tell the person why."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.last: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        self.last = record.getMessage()


class EmbeddedServer:
    def __init__(
        self, data_dir: Path, host: str = "127.0.0.1", check_janus: Callable[[], object] | None = None
    ) -> None:
        """``check_janus`` raises ConfigError when Janus is missing (default: look for the executable)."""
        self.data_dir = data_dir
        self._check_janus = check_janus or _find_janus
        self.host = host
        self.url: str | None = None
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    def start(self, on_ready: Callable[[str], None], on_failed: Callable[[str], None]) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(
            target=self._run, args=(on_ready, on_failed), name="embedded-server", daemon=True
        )
        self._thread.start()

    def _run(self, on_ready: Callable[[str], None], on_failed: Callable[[str], None]) -> None:
        try:
            self._check_janus()
        except ConfigError:
            on_failed(JANUS_MISSING)
            return
        except ImportError:
            on_failed(NO_BUILT_IN_SERVER)
            return
        tap = _ErrorTap()
        logging.getLogger().addHandler(tap)
        try:
            asyncio.run(self._serve(on_ready, on_failed, tap))
        except Exception as exc:  # anything the backend raised while starting
            log.exception("The built-in server stopped")
            on_failed(f"The built-in server stopped: {exc}")
        finally:
            logging.getLogger().removeHandler(tap)

    async def _serve(
        self, on_ready: Callable[[str], None], on_failed: Callable[[str], None], tap: _ErrorTap
    ) -> None:
        import uvicorn

        from spaces_desktop.server.runner import ServerSettings, build_app

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, 0))
        port = sock.getsockname()[1]
        url = f"http://{self.host}:{port}"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        try:
            app = build_app(ServerSettings(host=self.host, port=port, data_dir=self.data_dir))
        except ConfigError as exc:
            sock.close()
            on_failed(JANUS_MISSING if "Janus" in exc.message and "install" in exc.message else exc.message)
            return
        config = uvicorn.Config(
            app, log_level="warning", timeout_graceful_shutdown=2, access_log=False, lifespan="on"
        )
        server = uvicorn.Server(config)
        self._server = server
        if self._stopping.is_set():
            server.should_exit = True
        task = asyncio.create_task(server.serve(sockets=[sock]))
        waited = 0.0
        while not server.started and not task.done() and waited < READY_TIMEOUT_S:
            await asyncio.sleep(0.05)
            waited += 0.05
        if server.started:
            self.url = url
            on_ready(url)
        else:
            server.should_exit = True
            reason = tap.last or "it did not start in time"
            on_failed(f"The built-in server could not start: {reason}")
        await task
        sock.close()

    def stop(self, timeout: float = 8.0) -> None:
        """Any thread but the server's: stop serving, stop Janus, join."""
        self._stopping.set()
        server = self._server
        if server is not None:
            server.should_exit = True
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                log.warning("The built-in server did not stop within %.0f s", timeout)
        self.url = None
