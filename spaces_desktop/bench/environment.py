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


@contextlib.contextmanager
def backend(log_name: str = "backend.log", serve_args: Sequence[str] = ()) -> Iterator[str]:
    """A `spaces-desktop serve` subprocess with a private Janus on the namespace's veth; yields its URL.

    `serve_args` are added to its command line (e.g. `--rate-limit-scale 0`).
    """
    with tempfile.TemporaryDirectory(prefix="spaces-bench-") as folder:
        port = free_port()
        log = open(Path(folder) / log_name, "wb")  # noqa: SIM115 - owned by the child
        process = subprocess.Popen(
            [
                sys.executable, "-m", "spaces_desktop", "serve",
                "--port", str(port),
                "--data-dir", str(Path(folder) / "data"),
                "--ice-interface", netns.MEDIA_INTERFACE,
                *serve_args,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
        log.close()
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 20
            while True:
                if process.poll() is not None:
                    raise RuntimeError((Path(folder) / log_name).read_text()[-2000:])
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{url}/healthz", timeout=0.5).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError("the backend did not start in 20 s")
                time.sleep(0.05)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
