"""Names of the events on a Space's event stream, and what their `data` holds."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field


class EventType(StrEnum):
    SPACE_UPDATED = "space_updated"  # {space}: started, ended, title
    PARTICIPANT_JOINED = "participant_joined"  # {participant}; a listener's: to moderators and itself
    PARTICIPANT_UPDATED = "participant_updated"  # {participant, change, by?}
    PARTICIPANT_LEFT = "participant_left"  # {participant, reason: left|removed|gone}
    INVITED = "invited"  # {participant_id, by}: sent to the invited listener only
    REACTION = "reaction"  # {counts: {emoji: n}, senders: [{participant_id, emoji, count}], total}
    STREAMS = "streams"  # {streams}: what the SFU carries now
    TALKING = "talking"  # {participant_id, talking, level_dbov}
    MEDIA_RESET = "media_reset"  # {reason}: publish and subscribe again
    LAYERS_WANTED = "layers_wanted"  # {main: {large, small}}: to a publisher only; encode what is taken
    SPACE_ENDED = "space_ended"  # {by}: the stream closes after this one
    REMOVED = "removed"  # {by}: sent to the removed participant only; the stream closes
    JOIN_REQUEST = "join_request"  # {participant}: someone waits to be let in; to moderators only
    JOIN_REQUEST_CLOSED = "join_request_closed"  # {participant_id, outcome: admitted|denied|left}
    SCENE = "scene"  # {scene: {kind, participant_id?}, by}: the program the host directs for everyone
    AUDIENCE = "audience"  # {listeners, speakers, total}: at most once a second, to everyone


class ReactionSender(BaseModel):
    participant_id: str
    emoji: str
    count: int = Field(default=1, ge=1)


class Reactions(BaseModel):
    """`data` of a `reaction` event: what a Space's people sent over one short interval.

    `counts` has every emoji counted; `senders` names who sent them, bounded, so
    `total` may exceed what `senders` adds up to.
    """

    counts: dict[str, int] = Field(default_factory=dict)
    senders: list[ReactionSender] = Field(default_factory=list)
    total: int = 0

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Reactions:
        """Also reads the one-reaction-per-event shape `{participant_id, emoji}` of older servers."""
        if "counts" not in data and "emoji" in data:
            sender = ReactionSender(
                participant_id=str(data.get("participant_id", "")), emoji=str(data["emoji"])
            )
            return cls(counts={sender.emoji: 1}, senders=[sender], total=1)
        return cls.model_validate(data)
