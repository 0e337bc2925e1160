"""A thin test client for the backend's HTTP API and event stream."""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Member:
    """One participant as a test drives it: its id, token and an HTTP client."""

    base: str
    space_id: str
    id: str
    token: str
    http: httpx.AsyncClient = field(init=False)

    def __post_init__(self) -> None:
        self.http = httpx.AsyncClient(
            base_url=self.base, headers={"Authorization": f"Bearer {self.token}"}, timeout=20, trust_env=False
        )

    async def post(self, path: str, body: Any = None, expect: int | None = 200) -> httpx.Response:
        response = await self.http.post(f"/spaces/{self.space_id}{path}", json=body)
        if expect is not None:
            assert response.status_code == expect, response.text
        return response

    async def get(self, path: str = "", expect: int | None = 200) -> httpx.Response:
        response = await self.http.get(f"/spaces/{self.space_id}{path}")
        if expect is not None:
            assert response.status_code == expect, response.text
        return response

    async def aclose(self) -> None:
        await self.http.aclose()


async def create_space(
    base: str, title: str = "Test Space", video: bool = True, name: str = "Host"
) -> Member:
    async with httpx.AsyncClient(base_url=base, trust_env=False) as http:
        response = await http.post(
            "/spaces", json={"title": title, "host_name": name, "video_enabled": video}
        )
        assert response.status_code == 201, response.text
        body = response.json()
    return Member(base, body["snapshot"]["space"]["id"], body["participant"]["id"], body["token"])


async def join(base: str, space_id: str, name: str, client_id: str | None = None) -> Member:
    async with httpx.AsyncClient(base_url=base, trust_env=False) as http:
        payload: dict[str, Any] = {"display_name": name}
        if client_id:
            payload["client_id"] = client_id
        response = await http.post(f"/spaces/{space_id}/join", json=payload)
        assert response.status_code == 201, response.text
        body = response.json()
    return Member(base, space_id, body["participant"]["id"], body["token"])


async def promote(host: Member, member: Member) -> None:
    await host.post(f"/participants/{member.id}/role", {"role": "speaker"})


class EventLog:
    """Reads a participant's SSE stream in the background and keeps every event."""

    def __init__(self, member: Member, last_event_id: int | None = 0) -> None:
        # From the start of the log by default, so a test sees what happened before it listened;
        # None sends no Last-Event-ID, and the stream starts now.
        self.member = member
        self.events: list[dict[str, Any]] = []
        self.last_event_id = last_event_id
        self.closed = asyncio.Event()
        self.ready = asyncio.Event()
        self._new = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        headers = {"Last-Event-ID": str(self.last_event_id)} if self.last_event_id is not None else {}
        try:
            async with self.member.http.stream(
                "GET", f"/spaces/{self.member.space_id}/events", headers=headers, timeout=None
            ) as response:
                assert response.status_code == 200, response.status_code
                self.ready.set()
                async for line in response.aiter_lines():
                    if line.startswith("data: "):
                        self.events.append(json.loads(line[6:]))
                        self._new.set()
        except httpx.HTTPError:
            pass
        finally:
            self.closed.set()
            self._new.set()

    async def wait_for(self, predicate: Any, timeout: float = 10.0) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        seen = 0
        while True:
            for event in self.events[seen:]:
                if predicate(event):
                    return event
            seen = len(self.events)
            if self.closed.is_set():
                raise AssertionError(f"stream closed; events: {[e['type'] for e in self.events]}")
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"timed out; events: {[e['type'] for e in self.events]}")
            self._new.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new.wait(), remaining)

    async def wait_type(self, type_: str, timeout: float = 10.0) -> dict[str, Any]:
        return await self.wait_for(lambda e: e["type"] == type_, timeout)

    def types(self) -> list[str]:
        return [e["type"] for e in self.events]

    async def stop(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
