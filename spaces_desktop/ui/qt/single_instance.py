"""One app per person: a second launch hands its link to the running app and quits (GUI thread).

Clicking a `spaces://` link starts `spaces-desktop LINK`. If the app already
runs, that new process connects to the running one over a local socket
(QLocalServer: a Unix socket or a Windows named pipe, private to this user),
sends the link, and exits; the running app brings its window forward and opens
the join dialog. A link is one line of at most MAX_MESSAGE bytes.
"""

from __future__ import annotations

import getpass
import hashlib
from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtNetwork import QLocalServer, QLocalSocket

CONNECT_TIMEOUT_MS = 500
WRITE_TIMEOUT_MS = 1000
MAX_MESSAGE = 4096
ACTIVATE = "activate"
"""What a second launch without a link sends: just bring the window forward."""


def server_name(scope: str = "") -> str:
    """A name per user (and per data folder), so two people on one computer each have their app."""
    digest = hashlib.sha256(f"{getpass.getuser()}|{scope}".encode()).hexdigest()[:16]
    return f"spaces-desktop-{digest}"


def hand_over(name: str, link: str | None) -> bool:
    """Sends ``link`` to a running app; False when none runs (this process should become the app)."""
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(CONNECT_TIMEOUT_MS):
        return False
    message = (link or ACTIVATE).replace("\n", " ").encode("utf-8")[: MAX_MESSAGE - 1] + b"\n"
    socket.write(message)
    socket.waitForBytesWritten(WRITE_TIMEOUT_MS)
    socket.disconnectFromServer()
    return True


class SingleInstance(QObject):
    """Listens for later launches; ``on_message(link or None)`` runs on the GUI thread."""

    def __init__(self, name: str, on_message: Callable[[str | None], None], parent: QObject | None = None):
        super().__init__(parent)
        self.name = name
        self._on_message = on_message
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._accept)

    def listen(self) -> bool:
        if self._server.listen(self.name):
            return True
        # A socket file left by an app that crashed: nobody answers on it, so take it over.
        QLocalServer.removeServer(self.name)
        return self._server.listen(self.name)

    def close(self) -> None:
        self._server.close()

    def _accept(self) -> None:
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            buffer = bytearray()

            def read(socket: QLocalSocket = socket, buffer: bytearray = buffer) -> None:
                buffer.extend(bytes(socket.readAll().data())[: MAX_MESSAGE - len(buffer)])
                if b"\n" in buffer or len(buffer) >= MAX_MESSAGE:
                    socket.readyRead.disconnect()
                    text = bytes(buffer).split(b"\n", 1)[0].decode("utf-8", "replace").strip()
                    socket.disconnectFromServer()
                    socket.deleteLater()
                    self._on_message(None if text in ("", ACTIVATE) else text)

            socket.readyRead.connect(read)
            socket.disconnected.connect(socket.deleteLater)
            if socket.bytesAvailable():
                read()


__all__ = ["ACTIVATE", "SingleInstance", "hand_over", "server_name"]
