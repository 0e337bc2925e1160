"""Checks a client's SDP before it reaches Janus, so a bad one gets a 400 and never reaches Janus.

The client gets one sentence for people; what exactly is wrong with the SDP
(line numbers, missing attributes) is the error's `detail`, for the server log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from spaces_desktop.errors import InvalidInput

MediaKind = Literal["audio", "video", "application"]
SENDING = ("sendrecv", "sendonly")
UNUSABLE_SDP = (
    "This session description cannot be used: send the complete offer or answer your WebRTC library made."
)


@dataclass(frozen=True)
class MediaLine:
    kind: MediaKind
    mid: str
    direction: str
    track_id: str | None = None
    """The msid's track id (``a=msid:STREAM TRACK``), if the line names one."""

    @property
    def sends(self) -> bool:
        return self.direction in SENDING


def unusable(detail: str) -> InvalidInput:
    """The error for an SDP that cannot be used: a sentence for the client, `detail` for the log."""
    return InvalidInput(UNUSABLE_SDP, code="invalid_sdp", detail=detail)


def parse_media_lines(sdp: str) -> list[MediaLine]:
    """The m-lines of a WebRTC session description, or InvalidInput whose detail says what is wrong."""
    lines = [line.rstrip("\r") for line in sdp.split("\n") if line.strip()]
    if not lines or lines[0] != "v=0":
        raise unusable("The SDP must start with 'v=0'.")
    for required in ("o=", "s="):
        if not any(line.startswith(required) for line in lines):
            raise unusable(f"The SDP has no '{required}' line.")
    session_attrs: list[str] = []
    sections: list[tuple[str, list[str]]] = []
    for number, line in enumerate(lines, 1):
        if len(line) < 2 or line[1] != "=":
            raise unusable(f"SDP line {number} is not of the form 'x=value'.")
        if line.startswith("m="):
            sections.append((line, []))
        elif line.startswith("a="):
            (sections[-1][1] if sections else session_attrs).append(line[2:])
    if not sections:
        raise unusable("The SDP has no media ('m=') line.")
    session_has = {attr.split(":", 1)[0] for attr in session_attrs}
    media: list[MediaLine] = []
    for header, attrs in sections:
        kind = header[2:].split(" ", 1)[0]
        if kind not in ("audio", "video", "application"):
            raise unusable(f"Unsupported media kind '{kind}' in the SDP.")
        names = {attr.split(":", 1)[0] for attr in attrs} | session_has
        mid = next((attr[4:] for attr in attrs if attr.startswith("mid:")), None)
        if mid is None:
            raise unusable(f"The SDP's {kind} section has no 'a=mid'.")
        for needed in ("ice-ufrag", "ice-pwd", "fingerprint"):
            if needed not in names:
                raise unusable(f"The SDP's {kind} section (mid {mid}) has no 'a={needed}'.")
        direction = next(
            (a for a in attrs if a in ("sendrecv", "sendonly", "recvonly", "inactive")), "sendrecv"
        )
        msid = next((attr[5:].split() for attr in attrs if attr.startswith("msid:")), [])
        track_id = msid[1] if len(msid) > 1 else None
        media.append(MediaLine(kind, mid, direction, track_id))  # type: ignore[arg-type]
    return media
