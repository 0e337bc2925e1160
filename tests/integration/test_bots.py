"""Headless participants through the backend and a real Janus: the client engine end to end."""

from __future__ import annotations

from pathlib import Path

from tests.support.backend import Backend
from tests.support.bots import BotProcess


def host_bot(backend: Backend, tmp_path: Path, *extra: str) -> tuple[BotProcess, str]:
    host = BotProcess(
        ["--server", backend.url, "--create", "Bot Space", "--video", "--accept-requests", *extra],
        tmp_path,
        "Host",
    )
    joined = host.wait_event("joined")
    return host, str(joined["share_link"])


def test_four_bots_hold_a_video_space(backend: Backend, tmp_path: Path) -> None:
    host, link = host_bot(backend, tmp_path, "--duration", "16")
    guests = [
        BotProcess(["--join", link, "--request-to-speak", "--duration", "12"], tmp_path, "Ann"),
        BotProcess(
            ["--join", link, "--request-to-speak", "--second-camera", "synthetic", "--duration", "12"],
            tmp_path,
            "Brand",
        ),
        BotProcess(
            ["--join", link, "--camera", "none", "--mic", "none", "--duration", "12"], tmp_path, "Lee"
        ),
    ]
    try:
        summaries = {bot.name: bot.summary() for bot in guests}
        summaries["Host"] = host.summary()
    finally:
        for bot in [host, *guests]:
            bot.stop()
    for name, summary in summaries.items():
        assert summary["errors"] == [], (name, summary["errors"])
    listener = summaries["Lee"]
    assert listener["role"] == "listener"
    by_name = {entry["name"]: entry for entry in listener["received"].values()}
    assert set(by_name) == {"Host", "Ann", "Brand"}
    for name in ("Host", "Ann", "Brand"):
        video = by_name[name]["video"]["main"]
        # Tiles in the strip take the small layer (320 wide, 15 fps), the big one the full camera (30 fps);
        # four participants encode and decode on two cores here, so the rate is lower, never stalled.
        small = str(video["size"]).startswith("320x")
        assert video["frames"] > 100 and video["fps"] >= (11 if small else 15), (name, video)
        assert by_name[name]["audio_frames"] > 250
    # The brand's product camera arrives as a stream of its own.
    assert by_name["Brand"]["video"]["second"]["frames"] > 120
    assert summaries["Ann"]["role"] == "speaker" and summaries["Brand"]["role"] == "speaker"


def test_camera_toggle_reaches_the_others(backend: Backend, tmp_path: Path) -> None:
    host, link = host_bot(backend, tmp_path, "--camera", "none", "--duration", "14")
    toggler = BotProcess(
        ["--join", link, "--request-to-speak", "--camera-toggle", "3", "--duration", "12"], tmp_path, "Tog"
    )
    try:
        # The host sees the guest's camera go on, off and on again.
        host.wait_event("member_camera", name="Tog", on=True, timeout=15)
        host.wait_event("member_camera", name="Tog", on=False, timeout=15)
        seen = [e["on"] for e in host.events if e["event"] == "member_camera"]
        assert seen[:2] == [True, False], seen
        summary = toggler.summary()
        host_summary = host.summary()
    finally:
        toggler.stop()
        host.stop()
    assert summary["errors"] == []
    assert host_summary["errors"] == []
    # The host received the camera while it was on.
    [entry] = host_summary["received"].values()
    assert entry["video"]["main"]["frames"] > 40
