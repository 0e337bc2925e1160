"""STUN and TURN servers handed to clients in the join response.

TURN credentials follow coturn's REST scheme (`use-auth-secret` with a
`static-auth-secret`): the username is an expiry time and the participant, the
password an HMAC of it under the shared secret, so each participant gets its own
credentials that stop working a day later, and the secret never leaves the backend.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from spaces_desktop.protocol import IceServer

CREDENTIAL_TTL_S = 24 * 3600


@dataclass(frozen=True)
class IceConfig:
    stun: Sequence[str] = ()
    """stun: URLs, given as they are."""
    turn: Sequence[str] = ()
    """turn:/turns: URLs, given with per-participant credentials."""
    turn_secret: str | None = None
    """coturn's static-auth-secret; read from a file, never from the command line."""

    def servers_for(self, participant_id: str, clock: Callable[[], float] = time.time) -> list[IceServer]:
        servers = [IceServer(urls=list(self.stun))] if self.stun else []
        if self.turn and self.turn_secret:
            username = f"{int(clock()) + CREDENTIAL_TTL_S}:{participant_id}"
            digest = hmac.new(self.turn_secret.encode(), username.encode(), hashlib.sha1).digest()
            credential = base64.b64encode(digest).decode()
            servers.append(IceServer(urls=list(self.turn), username=username, credential=credential))
        return servers


__all__ = ["CREDENTIAL_TTL_S", "IceConfig"]
