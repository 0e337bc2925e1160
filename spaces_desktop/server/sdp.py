"""Checks a client's SDP before it reaches Janus, so a bad one gets a 400 that names the problem."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from spaces_desktop.errors import InvalidInput

MediaKind = Literal["audio", "video", "application"]
SENDING = ("sendrecv", "sendonly")


@dataclass(frozen=True)
class MediaLine:
    kind: MediaKind
    mid: str
    direction: str

    @property
    def sends(self) -> bool:
        return self.direction in SENDING


def parse_media_lines(sdp: str) -> list[MediaLine]:
    """The m-lines of a WebRTC session description, or InvalidInput naming what is wrong."""
    lines = [line.rstrip("\r") for line in sdp.split("\n") if line.strip()]
    if not lines or lines[0] != "v=0":
        raise InvalidInput("The SDP must start with 'v=0'.", code="invalid_sdp")
    for required in ("o=", "s="):
        if not any(line.startswith(required) for line in lines):
            raise InvalidInput(f"The SDP has no '{required}' line.", code="invalid_sdp")
    session_attrs: list[str] = []
    sections: list[tuple[str, list[str]]] = []
    for number, line in enumerate(lines, 1):
        if len(line) < 2 or line[1] != "=":
            raise InvalidInput(f"SDP line {number} is not of the form 'x=value'.", code="invalid_sdp")
        if line.startswith("m="):
            sections.append((line, []))
        elif line.startswith("a="):
            (sections[-1][1] if sections else session_attrs).append(line[2:])
    if not sections:
        raise InvalidInput("The SDP has no media ('m=') line.", code="invalid_sdp")
    session_has = {attr.split(":", 1)[0] for attr in session_attrs}
    media: list[MediaLine] = []
    for header, attrs in sections:
        kind = header[2:].split(" ", 1)[0]
        if kind not in ("audio", "video", "application"):
            raise InvalidInput(f"Unsupported media kind '{kind}' in the SDP.", code="invalid_sdp")
        names = {attr.split(":", 1)[0] for attr in attrs} | session_has
        mid = next((attr[4:] for attr in attrs if attr.startswith("mid:")), None)
        if mid is None:
            raise InvalidInput(f"The SDP's {kind} section has no 'a=mid'.", code="invalid_sdp")
        for needed in ("ice-ufrag", "ice-pwd", "fingerprint"):
            if needed not in names:
                raise InvalidInput(
                    f"The SDP's {kind} section (mid {mid}) has no 'a={needed}'.", code="invalid_sdp"
                )
        direction = next(
            (a for a in attrs if a in ("sendrecv", "sendonly", "recvonly", "inactive")), "sendrecv"
        )
        media.append(MediaLine(kind, mid, direction))  # type: ignore[arg-type]
    return media
