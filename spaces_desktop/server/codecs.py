"""Which codecs an offer proposes, so an offer the room can't carry gets a sentence, not silence.

Janus answers an offer whose video has no codec of the room's with the video
m-line rejected (port 0) and a 200: the sender would believe it is on camera.
"""

from __future__ import annotations

from spaces_desktop.errors import InvalidInput

ROOM_AUDIO = frozenset({"opus"})
ROOM_VIDEO = frozenset({"vp8", "h264"})


def offered_codecs(sdp: str) -> list[tuple[str, set[str]]]:
    """(kind, codec names in lower case) for each sending audio or video m-line of the offer."""
    sections: list[tuple[str, set[str], bool]] = []
    for raw in sdp.split("\n"):
        line = raw.strip()
        if line.startswith("m="):
            kind = line[2:].split(" ", 1)[0]
            sections.append((kind, set(), True))
        elif sections and line.startswith("a=rtpmap:"):
            parts = line.split(" ", 1)
            if len(parts) == 2:
                sections[-1][1].add(parts[1].split("/", 1)[0].lower())
        elif sections and line in ("a=recvonly", "a=inactive"):
            kind, names, _ = sections[-1]
            sections[-1] = (kind, names, False)
    return [(kind, names) for kind, names, sends in sections if sends and kind in ("audio", "video")]


def require_room_codecs(sdp: str) -> None:
    """InvalidInput when a sending m-line offers none of the codecs the room takes."""
    for kind, names in offered_codecs(sdp):
        allowed = ROOM_AUDIO if kind == "audio" else ROOM_VIDEO
        # A line naming no codec at all is malformed, not foreign: Janus's parser says so.
        if names and not names & allowed:
            wanted = " or ".join(sorted(name.upper() if name != "opus" else "Opus" for name in allowed))
            raise InvalidInput(
                f"This Space carries {kind} as {wanted} only, and the offer proposes neither; "
                f"allow {wanted} in the browser or app.",
                code="unsupported_codec",
            )


__all__ = ["ROOM_AUDIO", "ROOM_VIDEO", "offered_codecs", "require_room_codecs"]
