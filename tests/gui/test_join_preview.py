"""The Join dialog shows what a link leads to, from the real backend's /preview, or says why not."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from spaces_desktop.ui.dialogs.join_dialog import JoinDialog
from spaces_desktop.ui.qt.preview import PreviewFetcher
from spaces_desktop.ui.qt.theme import Theme
from tests.support import api
from tests.support.backend import Backend, free_port


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    if shutil.which("janus") is None:
        pytest.skip("Janus is not installed")
    folder: Path = tmp_path_factory.mktemp("backend")
    server = Backend(folder / "data", folder / "backend.log")
    server.start()
    yield server
    server.stop()


def test_join_dialog_shows_title_host_status_and_audience(
    qtbot: QtBot, theme: Theme, backend: Backend, shot
) -> None:
    async def setup() -> str:
        host = await api.create_space(
            backend.url, "Launch day <b>live</b>", video=True, name="Dana <i>Host</i>"
        )
        for n in range(2):
            await api.join(backend.url, host.space_id, f"Listener {n}", client_id=f"preview-{n}")
        await host.aclose()
        return host.space_id

    space_id = asyncio.run(setup())
    dialog = JoinDialog(theme, f"{backend.url}/s/{space_id}", "Lee Listener")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.preview is not None, timeout=10_000)
    assert dialog.space_title.text() == "Launch day <b>live</b>"  # shown as typed, never as markup
    details = dialog.details.text()
    assert "Hosted by Dana <i>Host</i>" in details
    assert "Live now" in details
    assert "2 listening" in details
    assert "1 on stage" in details
    assert dialog.details.property("role") == "muted"
    assert dialog.join_button.isEnabled()
    shot(dialog, "join-preview")


def test_join_dialog_says_why_a_preview_failed(qtbot: QtBot, theme: Theme, backend: Backend, shot) -> None:
    dialog = JoinDialog(theme, f"{backend.url}/s/NoSuchSpace1", "Lee Listener")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.details.property("role") == "error", timeout=10_000)
    assert dialog.preview is None
    assert not dialog.space_title.isVisible()
    assert dialog.details.text().startswith("Couldn't look up this Space:")
    assert "Traceback" not in dialog.details.text()
    shot(dialog, "join-preview-missing")

    # A server nobody answers at: a sentence about reaching it, and joining is still offered.
    dialog.link_edit.setText(f"http://127.0.0.1:{free_port()}/s/AbC123")
    qtbot.waitUntil(lambda: "Can't reach" in dialog.details.text(), timeout=10_000)
    assert dialog.join_button.isEnabled()


def test_an_answer_for_an_older_link_is_not_shown(qtbot: QtBot, backend: Backend) -> None:
    async def setup() -> str:
        host = await api.create_space(backend.url, "The newer one", name="Host")
        await host.aclose()
        return host.space_id

    space_id = asyncio.run(setup())
    fetcher = PreviewFetcher()
    with (
        qtbot.assertNotEmitted(fetcher.failed, wait=300),
        qtbot.waitSignal(fetcher.ready, timeout=10_000) as got,
    ):
        fetcher.fetch(f"http://127.0.0.1:{free_port()}", "Gone12")  # refused at once, but superseded
        fetcher.fetch(backend.url, space_id)
    assert got.args[0].title == "The newer one"
