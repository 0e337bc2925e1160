"""Network helpers for tests: the product's namespace setup, re-exported."""

from __future__ import annotations

from spaces_desktop.bench.netns import (
    HOST_ADDRESS,
    MEDIA_INTERFACE,
    PEER_ADDRESS,
    OwnNetwork,
    build_veth,
    enter,
    set_interface_up,
)

__all__ = [
    "HOST_ADDRESS",
    "MEDIA_INTERFACE",
    "PEER_ADDRESS",
    "OwnNetwork",
    "build_veth",
    "enter",
    "set_interface_up",
]
