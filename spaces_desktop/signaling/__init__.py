"""The backend's REST API and event stream; the only package that uses httpx.

client = SpacesClient(base_url)                 # or parse_link(share_link)
joined = await client.join(space_id, "Ada")
me = client.as_joined(joined)
async with me.events(last_event_id=joined.snapshot.last_event_id) as stream:
    async for event in stream: ...
"""

from spaces_desktop.signaling.backoff import NO_RETRY, Backoff
from spaces_desktop.signaling.client import DEFAULT_TIMEOUT, ParticipantClient, SpacesClient
from spaces_desktop.signaling.errors import (
    ApiError,
    BackendUnreachable,
    BadResponse,
    Conflict,
    Forbidden,
    InvalidLink,
    InvalidRequest,
    MediaUnavailable,
    NotFound,
    RateLimited,
    ServerUnavailable,
    SignalingError,
    Unauthorized,
)
from spaces_desktop.signaling.events import EventStream, StateCallback, StreamState
from spaces_desktop.signaling.links import parse_link

__all__ = [
    "DEFAULT_TIMEOUT",
    "NO_RETRY",
    "ApiError",
    "BackendUnreachable",
    "Backoff",
    "BadResponse",
    "Conflict",
    "EventStream",
    "Forbidden",
    "InvalidLink",
    "InvalidRequest",
    "MediaUnavailable",
    "NotFound",
    "ParticipantClient",
    "RateLimited",
    "ServerUnavailable",
    "SignalingError",
    "SpacesClient",
    "StateCallback",
    "StreamState",
    "Unauthorized",
    "parse_link",
]
