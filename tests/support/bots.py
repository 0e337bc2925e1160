"""`spaces-desktop bot` as a subprocess: JSON lines in, parsed events out."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any


class BotProcess:
    def __init__(self, args: list[str], log_dir: Path, name: str, prefix: list[str] | None = None) -> None:
        self.name = name
        self.events: list[dict[str, Any]] = []
        self.stderr_path = log_dir / f"bot-{name}.err"
        command = [
            *(prefix or []),
            sys.executable,
            "-m",
            "spaces_desktop",
            "bot",
            "--json",
            "--name",
            name,
            *args,
        ]
        with open(self.stderr_path, "wb") as stderr:
            self.process = subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=stderr,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        self._reader = threading.Thread(target=self._read, name=f"bot-{name}-reader", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            try:
                self.events.append(json.loads(line))
            except ValueError:
                continue

    def wait_event(self, kind: str, timeout: float = 20.0, **match: Any) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event in list(self.events):
                if event["event"] == kind and all(event.get(k) == v for k, v in match.items()):
                    return event
            if self.process.poll() is not None and not self._reader.is_alive():
                break
            time.sleep(0.05)
        errors = [e for e in self.events if e["event"] == "error"]
        got = [e["event"] for e in self.events]
        raise AssertionError(f"{self.name}: no {kind} {match}; got {got}, errors {errors}\n{self.stderr()}")

    def summary(self, timeout: float = 60.0) -> dict[str, Any]:
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.send_signal(signal.SIGUSR1)  # the bot prints its threads' stacks
            time.sleep(1.0)
            raise AssertionError(f"{self.name} did not finish in {timeout} s:\n{self.stderr()}") from None
        self._reader.join(5)
        assert self.process.returncode == 0, (self.process.returncode, self.stderr())
        return self.wait_event("summary", timeout=1)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def stderr(self) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")[-3000:]
        except OSError:
            return ""
