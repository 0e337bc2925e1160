"""What every media benchmark needs: a private network namespace and a backend with its own Janus."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx

from spaces_desktop.bench import netns


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def enter_namespace() -> str:
    """Re-runs this command inside a fresh network namespace unless it already is in one."""
    return netns.enter([sys.executable, "-m", "spaces_desktop", *sys.argv[1:]])


class BenchBackend:
    """A `spaces-desktop serve` subprocess with a private Janus; restartable on the same port and data."""

    def __init__(
        self,
        folder: Path,
        *,
        host: str = "127.0.0.1",
        ice_interfaces: str = netns.MEDIA_INTERFACE,
        rtp_ports: tuple[int, int] | None = None,
        log_name: str = "backend.log",
        serve_args: Sequence[str] = (),
    ) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = folder / log_name
        self._args = [
            sys.executable, "-m", "spaces_desktop", "serve",
            "--host", host,
            "--port", str(self.port),
            "--data-dir", str(folder / "data"),
            "--ice-interface", ice_interfaces,
        ]  # fmt: skip
        if rtp_ports is not None:
            self._args += ["--rtp-ports", f"{rtp_ports[0]}-{rtp_ports[1]}"]
        self._args += list(serve_args)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 20.0) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 - owned by the child
        self.process = subprocess.Popen(
            self._args, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"}
        )
        log.close()
        self.wait_healthy(timeout)

    def wait_healthy(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(self.log_path.read_text(errors="replace")[-2000:])
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/healthz", timeout=0.5).status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"the backend did not answer in {timeout:.0f} s")
            time.sleep(0.05)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def janus_pid(self) -> int:
        assert self.process is not None
        return janus_child_pid(self.process.pid)


def janus_child_pid(parent: int) -> int:
    """The private Janus a `spaces-desktop serve` process runs (for killing it in resilience cases)."""
    out = subprocess.run(["pgrep", "-P", str(parent), "janus"], capture_output=True, text=True)
    pids = [int(p) for p in out.stdout.split()]
    if not pids:
        raise RuntimeError("no Janus child process")
    return pids[0]


@contextlib.contextmanager
def backend(log_name: str = "backend.log", serve_args: Sequence[str] = ()) -> Iterator[str]:
    """A `spaces-desktop serve` subprocess with a private Janus on the namespace's veth; yields its URL.

    `serve_args` are added to its command line (e.g. `--rate-limit-scale 0`).
    """
    with tempfile.TemporaryDirectory(prefix="spaces-bench-") as folder:
        server = BenchBackend(Path(folder), log_name=log_name, serve_args=serve_args)
        try:
            server.start()
            yield server.url
        finally:
            server.stop()
