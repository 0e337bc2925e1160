"""The backend's rules on names, reactions and ended Spaces, through real HTTP: a 4xx with a sentence."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.support.api import EventLog, Member, create_space, join
from tests.support.backend import Backend


def refusal(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert set(body) == {"error", "message"} and body["error"] == code, body
    message = str(body["message"])
    assert message.endswith(".") and "Value error" not in message and "pydantic" not in message, message
    return message


async def post_join(backend: Backend, space_id: str, name: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=backend.url, trust_env=False, timeout=10) as http:
        return await http.post(f"/spaces/{space_id}/join", json={"display_name": name})


async def test_no_action_changes_an_ended_space(backend: Backend) -> None:
    host = await create_space(backend.url, video=True)
    asker = await join(backend.url, host.space_id, "Asker")
    guest = await join(backend.url, host.space_id, "Guest")
    await asker.post("/me/speak-request")
    await host.post(f"/participants/{guest.id}/invite")
    await host.post("/end", expect=204)

    others = (asker.id, guest.id)
    actions: list[tuple[Member, str, str, Any]] = [
        (host, "post", f"/participants/{asker.id}/decline-request", None),
        (host, "post", f"/participants/{asker.id}/remove", None),
        (host, "post", f"/participants/{guest.id}/remove", None),
        (guest, "post", "/me/invite/decline", None),
        (guest, "post", "/me/invite/accept", None),
        (host, "post", f"/participants/{asker.id}/invite", None),
        (host, "post", f"/participants/{asker.id}/role", {"role": "speaker"}),
        (host, "post", f"/participants/{host.id}/mute", {"muted": True}),
        (asker, "delete", "/me/speak-request", None),
        (guest, "post", "/me/speak-request", None),
        (guest, "post", "/me/hand", {"raised": True}),
        (host, "post", "/me/camera", {"on": True}),
        (guest, "post", "/reactions", {"emoji": "👍"}),
        (host, "post", "/media/publish", {"type": "offer", "sdp": "v=0"}),
        (guest, "post", "/media/subscribe", None),
        (guest, "post", "/media/subscribe/answer", {"type": "answer", "sdp": "v=0"}),
    ]
    for member, method, path, body in actions:
        response = await member.http.request(
            method, f"/spaces/{host.space_id}{path}", json=body if method == "post" else None
        )
        assert refusal(response, 409, "space_ended") == "This Space has ended.", (path, response.text)
    started = await host.post("/start", expect=409)
    assert started.json()["message"] == "The Space is ended, not scheduled."

    # Nothing moved: both are still in, the request and the invitation still stand.
    people = {p["id"]: p for p in (await host.get()).json()["participants"]}
    assert set(others) <= set(people)
    assert people[asker.id]["speak_requested"] and people[guest.id]["invited"]
    # Leaving stays possible: it only tidies up.
    await guest.post("/me/leave", expect=204)
    for member in (host, asker, guest):
        await member.aclose()


async def test_names_and_titles_are_normalized(backend: Backend) -> None:
    async with httpx.AsyncClient(base_url=backend.url, trust_env=False, timeout=10) as http:
        created = await http.post(
            "/spaces", json={"title": "  Friday\u00a0\u00a0AMA 🎉 ", "host_name": " Ada   Lovelace "}
        )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["snapshot"]["space"]["title"] == "Friday AMA 🎉"
    assert body["participant"]["display_name"] == "Ada Lovelace"
    space_id = body["snapshot"]["space"]["id"]

    # 50 letters with their accents as separate marks: 100 code points sent, 50 characters kept.
    long_name = await post_join(backend, space_id, "e\u0301" * 50)
    assert long_name.status_code == 201, long_name.text
    assert long_name.json()["participant"]["display_name"] == "\u00e9" * 50
    family = await post_join(backend, space_id, "👨\u200d👩\u200d👧 Parents")
    assert (
        family.status_code == 201
        and family.json()["participant"]["display_name"] == "👨\u200d👩\u200d👧 Parents"
    )


async def test_invisible_and_direction_changing_names_are_refused(backend: Backend) -> None:
    host = await create_space(backend.url, name="Ada")
    cases = {
        "A\u200dda": "formatting",  # a joiner between letters: looks like "Ada"
        "Ada\u3164": "invisible",  # a Hangul filler
        "\u2800": "invisible",  # the blank Braille pattern
        "A\ufe0fda": "invisible",  # a variation selector after a letter
        "\u0301\u0302": "visible character",  # accents without a letter
        "\u202eadA": "formatting",  # right-to-left override
        "Ada\u2066": "formatting",  # an isolate left open
        "A\u2028B": "line breaks",
        "A\u0085B": "line breaks",
        "\u3000 \u00a0": "visible character",
        "Ada\ue000": "private-use",
        "x" * 51: "at most 50",
    }
    for name, says in cases.items():
        message = refusal(await post_join(backend, host.space_id, name), 422, "invalid_request")
        assert message.startswith("display_name: A name ") and says in message, (name, message)
    async with httpx.AsyncClient(base_url=backend.url, trust_env=False, timeout=10) as http:
        title = await http.post("/spaces", json={"title": "AMA\u202e", "host_name": "Bo"})
        assert refusal(title, 422, "invalid_request").startswith("title: A title can't")
    await host.aclose()


async def test_a_listener_cannot_take_the_hosts_name(backend: Backend) -> None:
    host = await create_space(backend.url, name="Ada Lovelace")
    for name in ("Ada Lovelace", "ADA LOVELACE", " ada   lovelace ", "Ａｄａ Ｌｏｖｅｌａｃｅ"):
        message = refusal(await post_join(backend, host.space_id, name), 409, "name_taken")
        assert message == "That is the host's name; choose another one."
    assert (await post_join(backend, host.space_id, "Ada")).status_code == 201
    people = (await host.get()).json()["participants"]
    assert sorted(p["display_name"] for p in people) == ["Ada", "Ada Lovelace"]
    await host.aclose()


async def test_a_reaction_is_exactly_one_emoji(unlimited_backend: Backend) -> None:
    # Fourteen reactions in a row: more than one listener may send at once (rate limits are tested apart).
    backend = unlimited_backend
    host = await create_space(backend.url)
    listener = await join(backend.url, host.space_id, "Lee")
    events = EventLog(host)
    await events.ready.wait()
    refused = ["\u202e👍", "👍\u202e", "\u0085", "\u009b", "漢", "漢字", "hi", "👍👍", "👍 ", "\u200d"]
    for emoji in refused:
        message = refusal(
            await listener.post("/reactions", {"emoji": emoji}, expect=None), 422, "invalid_request"
        )
        assert message == "emoji: A reaction is a single emoji, such as 👏 or ❤️.", message
    for emoji in ("👍🏽", "❤️", "🇯🇵", "🏳️\u200d🌈"):
        await listener.post("/reactions", {"emoji": emoji}, expect=204)
    await events.wait_for(
        lambda e: e["type"] == "reaction" and "🏳️\u200d🌈" in json.dumps(e, ensure_ascii=False)
    )
    seen = [json.dumps(e["data"], ensure_ascii=False) for e in events.events if e["type"] == "reaction"]
    assert not [emoji for emoji in refused if any(f'"{emoji}"' in data for data in seen)]
    await events.stop()
    for member in (host, listener):
        await member.aclose()
