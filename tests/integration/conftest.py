"""A real backend with a real Janus, inside the test session's network namespace."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.backend import Backend


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    """One backend shared by a module's tests; each test makes its own Space."""
    folder = tmp_path_factory.mktemp("backend")
    server = Backend(folder / "data", folder / "backend.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def unlimited_backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    """A module's backend without request limits, for tests that send hundreds of requests on purpose."""
    folder = tmp_path_factory.mktemp("backend")
    server = Backend(folder / "data", folder / "backend.log", extra_args=["--rate-limit-scale", "0"])
    server.start()
    yield server
    server.stop()


@pytest.fixture
def own_backend(tmp_path: Path) -> Iterator[Backend]:
    """A backend of the test's own, for tests that restart or break it."""
    server = Backend(tmp_path / "data", tmp_path / "backend.log")
    server.start()
    yield server
    server.stop()
