"""A real redis-server for tests (skipped where it is not installed)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from spaces_desktop.bench import redis_server


class RedisServer(redis_server.RedisServer):
    def __init__(self, folder: Path, port: int = 0) -> None:
        if shutil.which("redis-server") is None:
            pytest.skip("redis-server is not installed (scripts/install-system-deps.sh)")
        super().__init__(folder, port)
