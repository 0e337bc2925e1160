"""Janus's HTTP API driven directly, as a local user who learnt its api secret would."""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path
from typing import Any

import httpx

JsonDict = dict[str, Any]


def learnt_api_secret(janus_folder: Path, janus_pid: int) -> str:
    """The private Janus's api secret: from its config, or from the command line older versions used."""
    config = (janus_folder / "janus.jcfg").read_text()
    found = re.search(r'^\s*api_secret\s*=\s*"([^"]+)"', config, re.MULTILINE)
    if found:
        return found.group(1)
    args = Path(f"/proc/{janus_pid}/cmdline").read_bytes().split(b"\0")
    return args[args.index(b"-a") + 1].decode()


def janus_url(janus_folder: Path) -> str:
    config = (janus_folder / "janus.transport.http.jcfg").read_text()
    found = re.search(r"^\s*port\s*=\s*(\d+)", config, re.MULTILINE)
    assert found, config
    return f"http://127.0.0.1:{found.group(1)}/janus"


class DirectJanus:
    """One session and one plugin handle (VideoRoom unless told), synchronous and bounded in time."""

    def __init__(self, url: str, api_secret: str, plugin: str = "janus.plugin.videoroom") -> None:
        self.url = url
        self.secret = api_secret
        self.http = httpx.Client(trust_env=False, timeout=10)
        self.session = self._post(url, {"janus": "create"})["data"]["id"]
        attached = self._post(f"{url}/{self.session}", {"janus": "attach", "plugin": plugin})
        self.handle_url = f"{url}/{self.session}/{attached['data']['id']}"

    def close(self) -> None:
        try:
            self._post(f"{self.url}/{self.session}", {"janus": "destroy"})
        finally:
            self.http.close()

    def request(self, body: JsonDict) -> JsonDict:
        """A synchronous VideoRoom request (list, exists, create, destroy, listparticipants)."""
        reply = self._post(self.handle_url, {"janus": "message", "body": body})
        return dict((reply.get("plugindata") or {}).get("data") or reply.get("error") or {})

    def message(self, body: JsonDict, timeout: float = 10.0) -> JsonDict:
        """An asynchronous VideoRoom request (join): the plugin's event that answers it."""
        transaction = secrets.token_hex(8)
        reply = self._post(self.handle_url, {"janus": "message", "body": body, "transaction": transaction})
        if reply.get("janus") != "ack":
            return dict((reply.get("plugindata") or {}).get("data") or reply.get("error") or {})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            events = self.http.get(
                f"{self.url}/{self.session}", params={"maxev": 10, "apisecret": self.secret}, timeout=timeout
            ).json()
            for event in events if isinstance(events, list) else [events]:
                if event.get("transaction") == transaction:
                    return dict((event.get("plugindata") or {}).get("data") or event.get("error") or {})
        raise AssertionError(f"Janus did not answer {body} in {timeout} s")

    def _post(self, url: str, body: JsonDict) -> JsonDict:
        body = {"transaction": secrets.token_hex(8), **body, "apisecret": self.secret}
        reply = dict(self.http.post(url, json=body).json())
        assert reply.get("janus") != "error", reply
        return reply
