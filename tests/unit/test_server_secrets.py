"""The backend's error bodies, Janus config files and secret options, without a running Janus."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import stat
from pathlib import Path
from typing import cast

import httpx
import pytest

from spaces_desktop import cli
from spaces_desktop.errors import ConfigError, InvalidInput
from spaces_desktop.server.app import UNEXPECTED, create_app
from spaces_desktop.server.janus_client import JanusUnavailable
from spaces_desktop.server.janus_process import JanusKeys, JanusSettings, find_janus, write_config
from spaces_desktop.server.private_files import private_dir
from spaces_desktop.server.service import SpacesService
from spaces_desktop.server.store import Store

INTERNAL = "http://127.0.0.1:8188/janus?apisecret=hunter2"


def fail_with(route_error: Exception) -> httpx.Response:
    """GET of a route that raises `route_error`, through the app's real exception handlers."""
    app = create_app(cast(SpacesService, object()))

    @app.get("/fail")
    async def fail() -> None:
        raise route_error

    async def get() -> httpx.Response:
        transport = httpx.ASGITransport(app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://backend") as http:
            return await http.get("/fail")

    return asyncio.run(get())


def test_an_unexpected_exception_is_a_500_with_a_sentence_and_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, "spaces_desktop.server.app"):
        response = fail_with(RuntimeError(f"boom at {INTERNAL}"))
    assert response.status_code == 500
    assert response.json() == {"error": "internal", "message": UNEXPECTED}
    assert "RuntimeError" in caplog.text and "/fail" in caplog.text


def test_media_server_details_go_to_the_log_not_the_client(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, "spaces_desktop.server.app"):
        response = fail_with(JanusUnavailable(INTERNAL, ConnectionRefusedError("refused")))
    assert response.status_code == 503
    assert "127.0.0.1" not in response.text and "janus" not in response.text.lower()
    assert "8188" in caplog.text


def test_invalid_input_details_go_to_the_log_not_the_client(caplog: pytest.LogCaptureFixture) -> None:
    error = InvalidInput(
        "That cannot be used.", code="invalid_sdp", detail="line 3\nFAKE LOG LINE " + "x" * 999
    )
    with caplog.at_level(logging.INFO, "spaces_desktop.server.app"):
        response = fail_with(error)
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_sdp", "message": "That cannot be used."}
    assert "line 3\\nFAKE LOG LINE" in caplog.text  # escaped: no forged log line
    assert "x" * 400 not in caplog.text  # cut short


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_the_janus_config_holds_the_secrets_privately(tmp_path: Path) -> None:
    try:
        binary = find_janus(None)
    except ConfigError:
        pytest.skip("Janus is not installed")
    keys = JanusKeys.generate()
    folder = tmp_path / "janus"
    folder.mkdir(mode=0o755)
    (folder / "janus.jcfg").write_text("old")
    os.chmod(folder / "janus.jcfg", 0o644)
    config = write_config(folder, binary, 8188, JanusSettings(), keys)
    assert mode(folder) == 0o700
    assert {p.name: mode(p) for p in folder.iterdir()} == {
        "janus.jcfg": 0o600,
        "janus.transport.http.jcfg": 0o600,
        "janus.plugin.videoroom.jcfg": 0o600,
        "janus.plugin.streaming.jcfg": 0o600,
    }
    text = config.read_text()
    assert f'api_secret = "{keys.api_secret}"' in text
    assert f'admin_secret = "{keys.admin_secret}"' in text
    http = (folder / "janus.transport.http.jcfg").read_text()
    assert "admin_http = false" in http and "admin_https = false" in http and 'ip = "127.0.0.1"' in http
    assert f'admin_key = "{keys.room_admin_key}"' in (folder / "janus.plugin.videoroom.jcfg").read_text()
    # Mountpoints only through this backend, with the key: no sample ones, none from anyone else.
    streaming = (folder / "janus.plugin.streaming.jcfg").read_text()
    assert f'admin_key = "{keys.room_admin_key}"' in streaming and "type" not in streaming
    plugins = text.split("plugins: {")[1].split("}")[0]
    assert "libjanus_streaming.so" not in plugins and "libjanus_videoroom.so" not in plugins
    assert "libjanus_echotest.so" in plugins
    disabled = text.split("transports: {")[1].split("}")[0]
    assert "libjanus_http.so" not in disabled and "libjanus_websockets.so" in disabled


def test_the_store_makes_its_folder_and_files_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    (data / "spaces.sqlite3").touch(mode=0o644)
    store = Store(data / "spaces.sqlite3")
    try:
        assert mode(data) == 0o700
        names = {p.name: mode(p) for p in data.iterdir()}
        assert names["spaces.sqlite3"] == 0o600 and names["spaces.sqlite3-wal"] == 0o600, names
        assert set(names.values()) == {0o600}, names
    finally:
        store.close()


def test_a_data_folder_that_cannot_be_made_private_is_a_config_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ConfigError):
        private_dir(blocker / "data")


def serve_args(*extra: str) -> argparse.Namespace:
    return cli.build_parser().parse_args(["serve", "--janus-url", "http://10.0.0.5:8088/janus", *extra])


def test_the_external_janus_secret_comes_from_a_file(tmp_path: Path) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text("s3cret\n")
    secret_file.chmod(0o600)
    assert cli._janus_secret(serve_args("--janus-secret-file", str(secret_file))) == "s3cret"


def test_the_external_janus_secret_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cli.JANUS_SECRET_ENV, "from-env")
    assert cli._janus_secret(serve_args()) == "from-env"
    monkeypatch.delenv(cli.JANUS_SECRET_ENV)
    assert cli._janus_secret(serve_args()) is None


def test_the_secret_on_the_command_line_still_works_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        assert cli._janus_secret(serve_args("--janus-secret", "old")) == "old"
    assert "--janus-secret-file" in caplog.text


def test_an_empty_or_missing_secret_file_is_a_config_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_text("\n")
    for path in (empty, tmp_path / "missing"):
        with pytest.raises(ConfigError):
            cli._janus_secret(serve_args("--janus-secret-file", str(path)))


def test_secret_file_and_secret_flag_exclude_each_other(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        serve_args("--janus-secret-file", str(tmp_path / "s"), "--janus-secret", "x")
