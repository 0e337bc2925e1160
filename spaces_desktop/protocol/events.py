"""Names of the events on a Space's event stream, and what their `data` holds."""

from __future__ import annotations

from enum import StrEnum


class EventType(StrEnum):
    SPACE_UPDATED = "space_updated"  # {space}: started, ended, title
    PARTICIPANT_JOINED = "participant_joined"  # {participant}
    PARTICIPANT_UPDATED = "participant_updated"  # {participant, change, by?}
    PARTICIPANT_LEFT = "participant_left"  # {participant, reason: left|removed|gone}
    INVITED = "invited"  # {participant_id, by}: sent to the invited listener only
    REACTION = "reaction"  # {participant_id, emoji}
    STREAMS = "streams"  # {streams}: what the SFU carries now
    TALKING = "talking"  # {participant_id, talking, level_dbov}
    MEDIA_RESET = "media_reset"  # {reason}: publish and subscribe again
    SPACE_ENDED = "space_ended"  # {by}: the stream closes after this one
    REMOVED = "removed"  # {by}: sent to the removed participant only; the stream closes
    JOIN_REQUEST = "join_request"  # {participant}: someone waits to be let in; to moderators only
    JOIN_REQUEST_CLOSED = "join_request_closed"  # {participant_id, outcome: admitted|denied|left}
