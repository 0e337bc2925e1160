"""What the main window needs of a built-in backend; the app is composed with one or none.

The built-in server itself (``spaces_desktop.server.embedded``) holds no Qt and
is left out of the desktop bundle, which then connects to a server by address.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

NO_BUILT_IN_SERVER = (
    'This build of Spaces has no built-in server. Choose "A Spaces server" and enter its address.'
)


class ServerPort(Protocol):
    @property
    def url(self) -> str | None:
        """Where this app reaches the server (and, hosting for the network, where others do)."""
        ...

    @property
    def network_address(self) -> str | None:
        """The address and interface others use while hosting for the network."""
        ...

    @property
    def firewall_note(self) -> str | None: ...

    @property
    def port_note(self) -> str | None: ...

    def start(
        self, on_ready: Callable[[str], None], on_failed: Callable[[str], None], *, lan: bool = False
    ) -> None: ...

    def stop(self, timeout: float = 8.0) -> None: ...


ServerFactory = Callable[[Path], ServerPort]
"""Builds the built-in server on a data folder; the app is given one, or None in the bundle."""


__all__ = ["NO_BUILT_IN_SERVER", "ServerFactory", "ServerPort"]
