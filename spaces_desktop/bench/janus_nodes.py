"""Janus nodes on one machine, each in a network namespace of its own, joined by a bridge.

The caller's namespace (a private one: bench and tests enter it first, see
bench/netns.py) holds the bridge `spbr0` (10.80.0.1/24); node i lives in a
child namespace whose veth end carries 10.80.0.(10+i), with its HTTP API and
its media (ice_enforce_list, Streaming mountpoints) on that address only. The
backends and clients stay in the caller's namespace and reach every node
through the bridge, as machines on one LAN would; nodes send each other RTP
(`rtp_forward` origin → edge) across it. Killing a node's Janus removes its
namespace and link, like a machine going off the network.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

import httpx

from spaces_desktop.bench.netns import ip
from spaces_desktop.server.janus_process import JanusKeys, JanusSettings, find_janus, write_config

BRIDGE = "spbr0"
SUBNET = "10.80.0"
GATEWAY = f"{SUBNET}.1"
API_PORT = 8088
START_TIMEOUT_S = 20.0


class Bridge:
    def __init__(self) -> None:
        subprocess.run(["ip", "link", "del", BRIDGE], capture_output=True)  # a crashed run's
        ip("link", "add", BRIDGE, "type", "bridge")
        ip("addr", "add", f"{GATEWAY}/24", "dev", BRIDGE)
        ip("link", "set", BRIDGE, "up")

    def close(self) -> None:
        subprocess.run(["ip", "link", "del", BRIDGE], capture_output=True)


class JanusNodeProcess:
    """One Janus in its own namespace on the bridge; not restarted when it dies (a machine lost)."""

    def __init__(self, index: int, folder: Path, keys: JanusKeys) -> None:
        self.name = f"janus{index + 1}"
        self.address = f"{SUBNET}.{10 + index}"
        self.outer = f"spj{index}o"
        self.inner = f"spj{index}i"
        self.folder = folder / self.name
        self.keys = keys
        self.binary = find_janus(None)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.address}:{API_PORT}/janus"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def start(self) -> None:
        subprocess.run(["ip", "link", "del", self.outer], capture_output=True)
        ip("link", "add", self.outer, "type", "veth", "peer", "name", self.inner)
        ip("link", "set", self.outer, "master", BRIDGE)
        ip("link", "set", self.outer, "up")
        settings = JanusSettings(ice_interface=self.inner)
        config = write_config(self.folder, self.binary, API_PORT, settings, self.keys, self.address)
        script = (
            f"until ip link show {self.inner} >/dev/null 2>&1; do sleep 0.02; done; "
            f"ip link set lo up; ip addr add {self.address}/24 dev {self.inner}; "
            f'ip link set {self.inner} up; exec "$@"'
        )
        log = open(self.folder / "janus.log", "ab")  # noqa: SIM115 - the child keeps it
        try:
            janus = [self.binary, "-F", str(self.folder), "-C", str(config), "-o", "-d", "3"]
            self.process = subprocess.Popen(
                ["unshare", "-n", "sh", "-c", script, "sh", *janus],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            log.close()
        ours = os.readlink("/proc/self/ns/net")
        deadline = time.monotonic() + START_TIMEOUT_S
        while os.readlink(f"/proc/{self.process.pid}/ns/net") == ours:
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"{self.name}: its namespace was not created")
            time.sleep(0.01)
        ip("link", "set", self.inner, "netns", str(self.process.pid))
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/info", timeout=0.5, trust_env=False).status_code == 200:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not answer in {START_TIMEOUT_S:.0f} s: {self.log_tail()}")

    def cpu_seconds(self) -> float:
        """User + system CPU time of the Janus process so far (/proc/<pid>/stat)."""
        if self.process is None:
            return 0.0
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        subprocess.run(["ip", "link", "del", self.outer], capture_output=True)

    def log_tail(self) -> str:
        with contextlib.suppress(OSError):
            return (self.folder / "janus.log").read_text(errors="replace")[-2000:]
        return ""


def process_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


__all__ = ["Bridge", "JanusNodeProcess", "process_cpu_seconds"]
