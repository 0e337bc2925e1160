"""Test session setup: every test runs inside its own network namespace."""

from __future__ import annotations

import pytest

from tests.support import netns


def pytest_configure(config: pytest.Config) -> None:
    how = netns.enter()
    config.stash[NETNS_KEY] = how


def pytest_report_header(config: pytest.Config) -> str:
    return (
        f"network: private namespace ({config.stash.get(NETNS_KEY, '?')}), media on {netns.MEDIA_INTERFACE}"
    )


NETNS_KEY = pytest.StashKey[str]()
