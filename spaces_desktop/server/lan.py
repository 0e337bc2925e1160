"""The addresses other computers on the person's network can reach this one at.

The built-in server hosting "for people on my network" listens on one of these
and puts it in its share links; Janus is pinned to the same interface, so media
and links agree.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import ifaddr

# Interfaces of virtual machines and containers: their addresses reach nobody else.
VIRTUAL_PREFIXES = ("docker", "br-", "veth", "virbr", "vmnet", "vboxnet", "lxc", "lxd", "tailscale", "zt")


@dataclass(frozen=True)
class LanAddress:
    interface: str
    address: str

    def __str__(self) -> str:
        return f"{self.address} ({self.interface})"


def lan_addresses(include_virtual: bool = False) -> list[LanAddress]:
    """Private IPv4 addresses of this machine, real network interfaces first."""
    found: list[tuple[int, LanAddress]] = []
    for adapter in ifaddr.get_adapters():
        name = str(adapter.nice_name)
        virtual = name.startswith(VIRTUAL_PREFIXES)
        if virtual and not include_virtual:
            continue
        for ip in adapter.ips:
            if not isinstance(ip.ip, str):
                continue  # IPv6: link-local and temporary addresses make poor share links
            address = ipaddress.ip_address(ip.ip)
            if address.is_loopback or address.is_link_local or not address.is_private:
                continue
            rank = 0 if str(address).startswith("192.168.") else 1 if str(address).startswith("10.") else 2
            found.append((rank + (10 if virtual else 0), LanAddress(name, str(address))))
    return [entry for _, entry in sorted(found, key=lambda item: item[0])]


__all__ = ["LanAddress", "lan_addresses"]
