"""The share link in a real browser: Debian's headless Chromium opens the page, listens and watches.

A host and a speaker run as bots (real aiortc through the real Janus); Chromium,
driven by Playwright, runs inside the test's network namespace like everything
else, so its media reaches only Janus's veth address.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.backend import Backend
from tests.support.bots import BotProcess

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
CHROMIUM_FLAGS = [
    "--no-sandbox",  # the tests run as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    playwright_api = pytest.importorskip("playwright.sync_api")
    assert Path(CHROMIUM).exists(), "Chromium is missing: scripts/install-system-deps.sh installs it"
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


def wait_for(check: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_share_page_without_javascript_names_the_space(backend: Backend, tmp_path: Path) -> None:
    created = httpx.post(
        f"{backend.url}/spaces",
        json={"title": "<b>Launch</b> & demo", "host_name": "Ava", "video_enabled": True},
    ).json()
    space_id = created["snapshot"]["space"]["id"]
    page = httpx.get(f"{backend.url}/s/{space_id}", headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "&lt;b&gt;Launch&lt;/b&gt; &amp; demo" in page.text and "<b>Launch" not in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    # Programs asking for JSON still get the preview.
    preview = httpx.get(f"{backend.url}/s/{space_id}", headers={"Accept": "application/json"}).json()
    assert preview["title"] == "<b>Launch</b> & demo" and preview["status"] == "live"
    assert httpx.get(f"{backend.url}/web/player.js").status_code == 200

    # A stream ticket opens the event stream once, without the token in the URL.
    auth = {"Authorization": f"Bearer {created['token']}"}
    ticket = httpx.post(f"{backend.url}/spaces/{space_id}/events/ticket", headers=auth).json()["ticket"]
    events = f"{backend.url}/spaces/{space_id}/events"
    with httpx.stream("GET", events, params={"ticket": ticket, "last_event_id": "0"}, timeout=10) as stream:
        assert stream.status_code == 200
        first = next(stream.iter_lines())
        assert first.startswith("retry:") or first.startswith("id:"), first
    again = httpx.get(events, params={"ticket": ticket}, timeout=10)
    assert again.status_code == 401 and again.json()["error"] == "bad_ticket"
    assert httpx.get(f"{backend.url}/web/..%2Fthemes%2Fapp.qss").status_code == 404


def test_browser_listens_and_watches_the_active_speaker(
    backend: Backend, tmp_path: Path, browser: Any
) -> None:
    host = BotProcess(
        ["--server", backend.url, "--create", "Web launch", "--video", "--accept-requests", "--mic", "none"],
        tmp_path,
        "Host",
    )
    speaker: BotProcess | None = None
    context = None
    try:
        joined = host.wait_event("joined", timeout=60)
        link = str(joined["share_link"])
        speaker = BotProcess(["--join", link, "--request-to-speak", "--duration", "60"], tmp_path, "Ben")
        speaker.wait_event("role", timeout=30, role="speaker")

        context = browser.new_context(viewport={"width": 1280, "height": 800}, color_scheme="dark")
        page = context.new_page()
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text))
        page.goto(link, wait_until="load")
        page.wait_for_selector("#join-form:not([hidden])", timeout=15_000)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "web_lobby.png"))
        assert page.text_content("#lobby-title") == "Web launch"
        assert "Hosted by Host" in (page.text_content("#lobby-host") or "")
        page.fill("#name", "Browser listener")
        page.click("#listen")
        page.wait_for_selector("#space:not([hidden])", timeout=15_000)

        def frames() -> dict[str, int]:
            return dict(page.evaluate("() => window.spacesPlayer.stats.frames"))

        def speaker_id() -> str | None:
            result = page.evaluate(
                """() => { for (const p of window.spacesPlayer.state.participants.values())
                             if (p.display_name === 'Ben') return p.id; return null; }"""
            )
            return str(result) if result else None

        ben = wait_for(speaker_id, 20, "the speaker in the browser's state")
        wait_for(lambda: frames().get(f"{ben}/main", 0) > 10, 30, f"video frames in the browser: {console}")
        audio = page.evaluate(
            """async () => {
                 const stats = [];
                 for (const element of document.querySelectorAll('#audio audio')) {
                   const track = element.srcObject && element.srcObject.getAudioTracks()[0];
                   stats.push(track ? track.readyState : 'none');
                 }
                 return stats;
               }"""
        )
        assert audio and all(state == "live" for state in audio), audio
        audio_packets = """async () => {
                 let packets = 0;
                 for (const pc of [window.spacesPlayer.media && window.spacesPlayer.media.pc]) {
                   if (!pc) continue;
                   (await pc.getStats()).forEach((s) => {
                     if (s.type === 'inbound-rtp' && s.kind === 'audio') packets += s.packetsReceived;
                   });
                 }
                 return packets;
               }"""
        wait_for(lambda: page.evaluate(audio_packets) > 150, 20, "audio packets in the browser")

        # Ben's synthetic microphone talks and the host's is off: the big tile is Ben's.
        wait_for(lambda: page.get_attribute("#stage", "data-active") == ben, 20, "the speaker enlarged")
        assert page.eval_on_selector("#big .tile", "t => t.dataset.participant") == ben
        assert page.eval_on_selector_all("#strip .tile", "ts => ts.map(t => t.dataset.participant)")

        # Reactions float, and a hand goes up on the server.
        page.click("button.emoji[data-emoji='🔥']")
        page.wait_for_selector(".reaction", timeout=10_000)
        page.click("#hand")
        wait_for(lambda: page.get_attribute("#hand", "aria-pressed") == "true", 10, "hand raised")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "web_player.png"))
        page.emulate_media(color_scheme="light")
        page.set_viewport_size({"width": 420, "height": 800})
        page.screenshot(path=str(SCREENSHOTS / "web_player_light_narrow.png"))
        page.set_viewport_size({"width": 1280, "height": 800})
        assert not [line for line in console if "Uncaught" in line], console
        assert page.evaluate("() => window.spacesPlayer.stats.trickles") >= 1, "late candidates reach Janus"

        start = frames()
        time.sleep(6.0)
        end = frames()
        ben_fps = (end.get(f"{ben}/main", 0) - start.get(f"{ben}/main", 0)) / 6.0
        host_keys = [key for key in end if not key.startswith(ben)]
        assert ben_fps >= 20, (ben_fps, end)
        assert host_keys, f"the host's video also plays: {end}"

    finally:
        if context is not None:
            context.close()
        for bot in (speaker, host):
            if bot is not None:
                bot.stop()


def test_browser_shows_the_scene_the_host_directs(backend: Backend, browser: Any) -> None:
    with httpx.Client(base_url=backend.url, trust_env=False, timeout=20) as http:
        made = http.post("/spaces", json={"title": "Directed", "host_name": "Hana", "video_enabled": True})
        assert made.status_code == 201, made.text
        body = made.json()
        space_id, host_id = body["snapshot"]["space"]["id"], body["participant"]["id"]
        auth = {"Authorization": f"Bearer {body['token']}"}
        http.post(f"/spaces/{space_id}/scene", json={"kind": "grid"}, headers=auth).raise_for_status()
        context = browser.new_context(viewport={"width": 1100, "height": 700})
        try:
            page = context.new_page()
            page.goto(f"{backend.url}/s/{space_id}", wait_until="load")
            page.wait_for_selector("#join-form:not([hidden])", timeout=15_000)
            page.fill("#name", "Browser viewer")
            page.click("#listen")
            page.wait_for_selector("#space:not([hidden])", timeout=15_000)

            def layout() -> str:
                return str(page.evaluate("() => document.getElementById('big').dataset.layout || ''"))

            wait_for(lambda: layout() == "grid", 15, "the snapshot's grid scene in the browser")
            scene = {"kind": "person", "participant_id": host_id}
            http.post(f"/spaces/{space_id}/scene", json=scene, headers=auth).raise_for_status()
            wait_for(lambda: layout() == "speaker", 15, "the person scene from the event stream")
            kind = page.evaluate("() => window.spacesPlayer.state.scene.kind")
            assert kind == "person"
        finally:
            context.close()
