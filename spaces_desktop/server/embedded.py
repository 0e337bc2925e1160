"""The built-in Spaces backend (and its private Janus), run inside the app.

Two ways to host: for this computer only (loopback), or for people on the same
network (``lan=True``): then it listens on the network address on a stable
port, share links carry that address, Janus is pinned to that interface and
uses a fixed UDP range a firewall rule can name, and the database stays in the
app's data folder, so a Space and its link outlive a restart of the app.

``start`` returns at once: a thread named ``embedded-server`` binds the port,
builds the backend and serves it with uvicorn; ``on_ready(url)`` or
``on_failed(message)`` is then called **on that thread** (hop to the GUI with
the dispatcher). ``stop`` asks uvicorn to finish, which stops Janus through the
backend's lifespan, and joins the thread. No Qt here.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from spaces_desktop.errors import ConfigError
from spaces_desktop.server.lan import LanAddress, lan_addresses

log = logging.getLogger(__name__)

JANUS_MISSING = (
    "Janus, the media server Spaces runs on, isn't installed on this computer. "
    "Install it with “sudo apt-get install janus” (Debian/Ubuntu) or “brew install janus” (macOS) "
    "and restart the app — or choose “A Spaces server” below and enter the address of one."
)
READY_TIMEOUT_S = 30.0
LAN_PORT = 8470
LOCAL_PORT = 8471
"""Loopback only; stable so links of Spaces scheduled for later still work after a restart."""
LAN_RTP_PORTS = (20000, 20999)
INCOMPLETE_INSTALL = (
    "This installation of Spaces lacks parts of the built-in server. "
    'Reinstall it, or choose "A Spaces server".'
)
NO_NETWORK = (
    "This computer has no network address others could reach, so it can't host for your network. "
    "Connect to Wi-Fi or Ethernet, or host for this computer only."
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
        self,
        data_dir: Path,
        host: str = "127.0.0.1",
        check_janus: Callable[[], object] | None = None,
        *,
        lan_port: int = LAN_PORT,
        local_port: int = LOCAL_PORT,
        lan_interface: str | None = None,
    ) -> None:
        """``check_janus`` raises ConfigError when Janus is missing (default: look for the executable).

        ``lan_interface`` picks the network interface to host on; by default the first real one.
        """
        self.data_dir = data_dir
        self._check_janus = check_janus or _find_janus
        self.host = host
        self.lan = False
        self.lan_port = lan_port
        self.local_port = local_port
        self.lan_interface = lan_interface
        self.url: str | None = None
        self.address: LanAddress | None = None
        """The network address others use, while hosting for the network."""
        self.port_note: str | None = None
        """Set when the stable port was taken and another one is in use."""
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def network_address(self) -> str | None:
        """Where others reach this computer while it hosts for the network, e.g. "192.168.1.20 (wlan0)"."""
        return str(self.address) if self.address else None

    @property
    def firewall_note(self) -> str | None:
        """What a firewall must let in while hosting for the network."""
        if not self.lan or self.url is None:
            return None
        port = self.url.rsplit(":", 1)[-1]
        low, high = LAN_RTP_PORTS
        return f"Let Spaces Desktop through your firewall: TCP {port} and UDP {low}–{high}."

    def start(
        self, on_ready: Callable[[str], None], on_failed: Callable[[str], None], *, lan: bool = False
    ) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self.lan = lan
        self._stopping.clear()
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
            on_failed(INCOMPLETE_INSTALL)
            return
        tap = _ErrorTap()
        logging.getLogger().addHandler(tap)
        try:
            asyncio.run(self._serve(on_ready, on_failed, tap))
        except Exception:  # anything the backend raised while starting
            log.exception("The built-in server stopped")
            on_failed(
                "The built-in server stopped unexpectedly. Restart the app; "
                "if it happens again, the app's log says why."
            )
        finally:
            logging.getLogger().removeHandler(tap)

    async def _serve(
        self, on_ready: Callable[[str], None], on_failed: Callable[[str], None], tap: _ErrorTap
    ) -> None:

        from spaces_desktop.server.janus_process import JanusSettings
        from spaces_desktop.server.runner import BackendServer, ServerSettings, build_app, uvicorn_config

        janus = JanusSettings()
        host = self.host
        wanted_port = self.local_port
        if self.lan:
            address = self._lan_address()
            if address is None:
                on_failed(NO_NETWORK)
                return
            self.address = address
            host = address.address
            wanted_port = self.lan_port
            janus = JanusSettings(ice_interface=address.interface, rtp_ports=LAN_RTP_PORTS)
        sock = _bind(host, wanted_port)
        port = sock.getsockname()[1]
        self.port_note = (
            f"Port {wanted_port} is taken by another program, so links use port {port} this time."
            if wanted_port and port != wanted_port
            else None
        )
        url = f"http://{host}:{port}"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        settings = ServerSettings(host=host, port=port, data_dir=self.data_dir, public_url=url, janus=janus)
        try:
            app = build_app(settings)
        except ConfigError as exc:
            sock.close()
            on_failed(JANUS_MISSING if "Janus" in exc.message and "install" in exc.message else exc.message)
            return
        server = BackendServer(uvicorn_config(app, settings, log_level="warning"), app.state.bus)
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

    def _lan_address(self) -> LanAddress | None:
        candidates = lan_addresses(include_virtual=self.lan_interface is not None)
        if self.lan_interface is not None:
            candidates = [c for c in candidates if c.interface == self.lan_interface]
        return candidates[0] if candidates else None

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
        self._server = None
        self.url = None
        self.address = None


def _bind(host: str, port: int) -> socket.socket:
    """A listening-ready socket on ``port``, or on a free one when that port is taken."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        if port == 0:
            sock.close()
            raise
        sock.bind((host, 0))
    return sock
