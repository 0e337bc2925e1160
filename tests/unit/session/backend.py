"""A scripted Spaces backend behind httpx.MockTransport, for the session's unit tests.

It answers the routes a session calls with the wire models, keeps an event log
the test appends to (`emit`), serves it as a server-sent-event stream that
resumes after Last-Event-ID, and can drop every stream (`drop_streams`) or
refuse new ones (`refuse_streams`) as a restarting or vanished server would.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx

from spaces_desktop.domain import Role
from spaces_desktop.protocol import EventType

BASE = "http://spaces.test:8470"
AT = datetime(2026, 1, 1, tzinfo=UTC).isoformat()
SPACE_ID = "sp_test"
HOST = "p_host"
ME = "p_me"


def participant(pid: str, name: str, role: Role, **flags: bool) -> dict[str, Any]:
    return {"id": pid, "display_name": name, "role": role.value, **flags}


class ScriptedBackend:
    def __init__(self, *, video: bool = False) -> None:
        self.space: dict[str, Any] = {
            "id": SPACE_ID,
            "title": "Morning",
            "video_enabled": video,
            "status": "live",
            "host_id": HOST,
            "created_at": AT,
            "scheduled_for": None,
            "started_at": AT,
            "ended_at": None,
            "share_link": f"{BASE}/s/{SPACE_ID}",
        }
        self.participants: dict[str, dict[str, Any]] = {HOST: participant(HOST, "Hana", Role.HOST)}
        self.streams: list[dict[str, Any]] = [{"participant_id": HOST, "mid": "0", "kind": "audio"}]
        self.log: list[dict[str, Any]] = []
        self.requests: list[httpx.Request] = []
        self.failing: dict[str, tuple[int, str]] = {}
        """Route suffix -> (status, code) it answers with until cleared."""
        self._refusal: tuple[int, str, str] | None = None
        self._streams_open: set[asyncio.Queue[bool]] = set()
        self.transport = httpx.MockTransport(self.handle)

    # --- what the test does ---

    def emit(self, type_: EventType, data: dict[str, Any]) -> int:
        event = {"id": len(self.log) + 1, "type": type_.value, "data": data, "at": AT}
        self.log.append(event)
        for queue in self._streams_open:
            queue.put_nowait(True)
        return int(event["id"])

    def update(self, pid: str, change: str, **fields: Any) -> None:
        """Changes a participant and announces it, as the real service's `_update` does."""
        self.participants[pid] = {**self.participants[pid], **fields}
        self.emit(EventType.PARTICIPANT_UPDATED, {"participant": self.participants[pid], "change": change})

    def set_streams(self, streams: list[dict[str, Any]]) -> None:
        self.streams = streams
        self.emit(EventType.STREAMS, {"streams": streams})

    def drop_streams(self) -> None:
        """Every open event stream ends without a final event (a restart, a proxy timeout)."""
        for queue in self._streams_open:
            queue.put_nowait(False)

    def refuse_streams(self, status: int, code: str, message: str) -> None:
        self._refusal = (status, code, message)

    def stream_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path.endswith("/events")]

    def called(self, suffix: str) -> int:
        return sum(1 for r in self.requests if r.url.path.endswith(suffix) and r.method != "GET")

    @property
    def open_streams(self) -> int:
        return len(self._streams_open)

    # --- the routes ---

    def snapshot(self) -> dict[str, Any]:
        return {
            "space": self.space,
            "participants": list(self.participants.values()),
            "streams": self.streams,
            "you": ME,
            "last_event_id": len(self.log),
        }

    async def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        for suffix, (status, code) in self.failing.items():
            if path.endswith(suffix):
                return httpx.Response(status, json={"error": code, "message": "Not now."})
        if path.endswith("/join"):
            body = json.loads(request.content)
            self.participants[ME] = participant(ME, body["display_name"], Role.LISTENER)
            me = self.participants[ME]
            return httpx.Response(200, json={"token": "tok", "participant": me, "snapshot": self.snapshot()})
        if path.endswith("/events"):
            return self._event_stream(request)
        if path.endswith("/media/publish"):
            return httpx.Response(200, json={"type": "answer", "sdp": "v=0 answer"})
        if path.endswith("/media/subscribe"):
            # Like Janus, the subscription numbers its own m-lines: mids are not the publishers'.
            chosen = (json.loads(request.content or b"{}") or {}).get("streams")
            picked = None if chosen is None else {(c["participant_id"], c["mid"]) for c in chosen}
            theirs = [
                s
                for s in self.streams
                if s["participant_id"] != ME and (picked is None or (s["participant_id"], s["mid"]) in picked)
            ]
            offered = [{**s, "mid": str(i)} for i, s in enumerate(theirs)]
            return httpx.Response(200, json={"type": "offer", "sdp": "v=0 offer", "streams": offered})
        if path.endswith("/me/camera"):
            on = json.loads(request.content)["on"]
            return httpx.Response(200, json={**self.participants[ME], "camera_on": on})
        if path.endswith(("/media/unpublish", "/media/subscribe/answer", "/me/leave", "/end")):
            return httpx.Response(204)
        return httpx.Response(404, json={"error": "not_found", "message": f"No route {path} here."})

    def _event_stream(self, request: httpx.Request) -> httpx.Response:
        if self._refusal is not None:
            status, code, message = self._refusal
            return httpx.Response(status, json={"error": code, "message": message})
        after = int(request.headers.get("Last-Event-ID", "0"))
        queue: asyncio.Queue[bool] = asyncio.Queue()
        self._streams_open.add(queue)

        async def body() -> AsyncIterator[bytes]:
            sent = after
            try:
                while True:
                    for event in self.log[sent:]:
                        message = f"id: {event['id']}\nevent: {event['type']}\ndata: {json.dumps(event)}\n\n"
                        yield message.encode()
                        sent = int(event["id"])
                    if not await queue.get():
                        return
            finally:
                self._streams_open.discard(queue)

        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body())
