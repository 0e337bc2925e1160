"""Runs a private Janus for the embedded backend: config, start, watch, restart, stop.

The generated config loads only the VideoRoom and Streaming plugins and the HTTP transport
(no admin API), binds the API to 127.0.0.1 on a free port and protects it with
a random api secret, so nothing but this backend can drive it. The secret lives
only in the config folder (0700, files 0600), never on Janus's command line,
which every local user can read in /proc.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
import secrets
import shutil
import signal
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from spaces_desktop.aio import cancel_and_wait
from spaces_desktop.errors import ConfigError
from spaces_desktop.server.private_files import open_private_log, private_dir, tighten_tree, write_private

log = logging.getLogger(__name__)

KEEP_PLUGINS = ("libjanus_videoroom.so", "libjanus_streaming.so")
KEEP_TRANSPORTS = ("libjanus_http.so",)
STREAMING_PORTS = (40000, 49999)  # where mountpoints take the RTP the VideoRoom forwards (loopback)
START_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 1.0  # after SIGTERM; then SIGKILL, so the backend itself stops in time
PR_SET_PDEATHSIG = 1
MISSING_JANUS = (
    "Janus (the media server Spaces runs on) is not installed. Install it with "
    "`sudo apt-get install janus` (Debian/Ubuntu) or `brew install janus` (macOS), "
    "or point the backend at a running Janus with --janus-url URL --janus-secret-file FILE."
)


@dataclass(frozen=True)
class JanusSettings:
    binary: str | None = None
    ice_interface: str | None = None
    rtp_ports: tuple[int, int] | None = None
    nat_1_1_ip: str | None = None


def find_janus(binary: str | None) -> str:
    """Path of the janus executable, or a ConfigError that says how to get one."""
    if binary:
        path = Path(binary)
        if path.is_file():
            return str(path)
        raise ConfigError(f"No Janus executable at {binary}. {MISSING_JANUS}")
    found = shutil.which("janus") or next(
        (p for p in ("/usr/bin/janus", "/usr/local/bin/janus", "/opt/janus/bin/janus") if Path(p).is_file()),
        None,
    )
    if not found:
        raise ConfigError(MISSING_JANUS)
    return found


def _library_dir(binary: str, kind: str) -> Path:
    """Where the packaged plugins or transports live, next to the binary's prefix."""
    prefix = Path(binary).resolve().parent.parent
    for candidate in (
        prefix / "lib" / "x86_64-linux-gnu" / "janus" / kind,
        prefix / "lib" / "aarch64-linux-gnu" / "janus" / kind,
        prefix / "lib" / "janus" / kind,
        *Path(prefix / "lib").glob(f"*/janus/{kind}"),
    ):
        if candidate.is_dir():
            return candidate
    raise ConfigError(f"Janus is installed at {binary} but its {kind} folder was not found.")


def _prepare_child() -> None:
    """Runs in the forked child: private files, and SIGTERM if the backend dies without stopping it."""
    os.umask(0o077)
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _disable_list(folder: Path, keep: tuple[str, ...]) -> str:
    names = sorted({p.name.split(".so")[0] + ".so" for p in folder.glob("libjanus_*.so*")} - set(keep))
    return ",".join(names)


@dataclass(frozen=True)
class JanusKeys:
    """What lets this backend, and only it, drive the private Janus."""

    api_secret: str
    admin_secret: str
    room_admin_key: str
    """VideoRoom's and Streaming's admin_key: rooms, forwarders and mountpoints need it."""

    @classmethod
    def generate(cls) -> JanusKeys:
        return cls(secrets.token_urlsafe(24), secrets.token_urlsafe(24), secrets.token_urlsafe(24))


def write_config(
    folder: Path, binary: str, port: int, settings: JanusSettings, keys: JanusKeys, http_ip: str = "127.0.0.1"
) -> Path:
    """Writes a private config folder (0700, files 0600) and returns the path of its janus.jcfg."""
    private_dir(folder)
    tighten_tree(folder)
    plugins = _library_dir(binary, "plugins")
    transports = _library_dir(binary, "transports")
    nat = [f'ice_enforce_list = "{settings.ice_interface}"'] if settings.ice_interface else []
    if settings.nat_1_1_ip:
        nat.append(f'nat_1_1_mapping = "{settings.nat_1_1_ip}"')
    media = (
        [f'rtp_port_range = "{settings.rtp_ports[0]}-{settings.rtp_ports[1]}"'] if settings.rtp_ports else []
    )
    write_private(
        folder / "janus.jcfg",
        f"""general: {{
    configs_folder = "{folder}"
    plugins_folder = "{plugins}"
    transports_folder = "{transports}"
    events_folder = "{folder / "none"}"
    loggers_folder = "{folder / "none"}"
    debug_level = 3
    session_timeout = 60
    api_secret = "{keys.api_secret}"
    admin_secret = "{keys.admin_secret}"
    token_auth = false
}}
media: {{
    {chr(10).join(media)}
}}
nat: {{
    {chr(10).join(nat)}
}}
plugins: {{
    disable = "{_disable_list(plugins, KEEP_PLUGINS)}"
}}
transports: {{
    disable = "{_disable_list(transports, KEEP_TRANSPORTS)}"
}}
events: {{
    broadcast = false
}}
""",
    )
    write_private(
        folder / "janus.transport.http.jcfg",
        f"""general: {{
    json = "plain"
    base_path = "/janus"
    http = true
    ip = "{http_ip}"
    port = {port}
    https = false
}}
admin: {{
    admin_http = false
    admin_https = false
}}
""",
    )
    write_private(
        folder / "janus.plugin.videoroom.jcfg",
        f"""general: {{
    admin_key = "{keys.room_admin_key}"
    lock_rtp_forward = true
}}
""",
    )
    # Mountpoints only as this backend creates them (no samples), their RTP ports on loopback.
    write_private(
        folder / "janus.plugin.streaming.jcfg",
        f"""general: {{
    admin_key = "{keys.room_admin_key}"
    rtp_port_range = "{STREAMING_PORTS[0]}-{STREAMING_PORTS[1]}"
    events = false
}}
""",
    )
    return folder / "janus.jcfg"


class ManagedJanus:
    """A private Janus process, restarted when it dies (lives on the backend's loop).

    `on_restart` is called after a replacement Janus answers, so the backend can
    re-create its rooms and tell clients to publish again.
    """

    def __init__(
        self, folder: Path, settings: JanusSettings, on_restart: Callable[[], None] | None = None
    ) -> None:
        self.binary = find_janus(settings.binary)
        self.folder = folder
        self.settings = settings
        self.keys = JanusKeys.generate()
        self.port = free_port()
        self.on_restart = on_restart
        self._process: asyncio.subprocess.Process | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._stopping = False
        self.restarts = 0

    @property
    def secret(self) -> str:
        return self.keys.api_secret

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/janus"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    async def start(self) -> None:
        await self._spawn()
        self._watcher = asyncio.get_running_loop().create_task(self._watch(), name="janus-watch")

    async def stop(self) -> None:
        self._stopping = True
        if self._watcher is not None:
            await cancel_and_wait([self._watcher])
        process = self._process
        if process is not None and process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), STOP_TIMEOUT_S)
            except TimeoutError:
                log.warning("Janus did not stop within %.1f s of SIGTERM; killing it", STOP_TIMEOUT_S)
                process.kill()
                await process.wait()

    async def _spawn(self) -> None:
        config = write_config(self.folder, self.binary, self.port, self.settings, self.keys)
        # No secret here: the command line is world-readable; the api secret is in the 0600 config.
        args = [self.binary, "-F", str(self.folder), "-C", str(config), "-o", "-d", "3"]
        if self.settings.rtp_ports:
            args += ["-r", f"{self.settings.rtp_ports[0]}-{self.settings.rtp_ports[1]}"]
        logfile = open_private_log(self.folder / "janus.log")
        try:
            self._process = await asyncio.create_subprocess_exec(
                *args,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=logfile,
                stderr=asyncio.subprocess.STDOUT,
                # Its own session: a Ctrl-C meant for the backend must not kill Janus
                # behind the watcher's back; the backend stops it in order instead.
                start_new_session=True,
                preexec_fn=_prepare_child,
            )
        finally:
            os.close(logfile)
        await self._wait_until_ready()
        log.info("Janus %s answering at %s (pid %s)", self.binary, self.url, self.pid)

    async def _wait_until_ready(self) -> None:
        deadline = asyncio.get_running_loop().time() + START_TIMEOUT_S
        async with httpx.AsyncClient(trust_env=False, timeout=1.0) as http:
            while True:
                if self._process is not None and self._process.returncode is not None:
                    code = self._process.returncode
                    raise ConfigError(
                        f"Janus exited at start (code {code}); see {self.folder / 'janus.log'}."
                    )
                try:
                    if (await http.get(f"{self.url}/info")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                if asyncio.get_running_loop().time() > deadline:
                    raise ConfigError(f"Janus did not answer within {START_TIMEOUT_S:.0f} s; see its log.")
                await asyncio.sleep(0.05)

    async def _watch(self) -> None:
        backoff = 0.2
        while not self._stopping:
            assert self._process is not None
            code = await self._process.wait()
            if self._stopping:
                return
            log.warning("Janus exited with code %s; restarting", code)
            await asyncio.sleep(backoff)
            try:
                await self._spawn()
            except ConfigError:
                log.exception("Janus restart failed")
                self.port = free_port()  # in case another program took ours meanwhile
                backoff = min(backoff * 2, 10.0)
                continue
            backoff = 0.2
            self.restarts += 1
            if self.on_restart is not None:
                self.on_restart()
