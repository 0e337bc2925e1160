"""What the Join dialog says about a Space before joining, from its ``/preview`` (no widgets)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from spaces_desktop.domain import SpaceStatus
from spaces_desktop.protocol import SpacePreview


def preview_details(preview: SpacePreview) -> str:
    """One line under the title: host, status, listeners, speakers, video."""
    parts = []
    if preview.host_name:
        parts.append(
            QCoreApplication.translate("JoinPreview", "Hosted by %1").replace("%1", preview.host_name)
        )
    status = {
        SpaceStatus.LIVE: QCoreApplication.translate("JoinPreview", "Live now"),
        SpaceStatus.SCHEDULED: QCoreApplication.translate("JoinPreview", "Not started yet"),
        SpaceStatus.ENDED: QCoreApplication.translate("JoinPreview", "Ended"),
    }.get(preview.status)
    if status:
        parts.append(status)
    if preview.status is not SpaceStatus.ENDED:
        # The count is a plain name: lupdate drops a plural whose count is an expression.
        listening, speaking = preview.listeners, preview.speakers
        parts.append(QCoreApplication.translate("JoinPreview", "%n listening", None, listening))
        parts.append(QCoreApplication.translate("JoinPreview", "%n on stage", None, speaking))
    if preview.video_enabled:
        parts.append(QCoreApplication.translate("JoinPreview", "video"))
    return " · ".join(parts)


def preview_failed(message: str) -> str:
    return QCoreApplication.translate("JoinPreview", "Couldn't look up this Space: %1").replace("%1", message)


def looking_up() -> str:
    return QCoreApplication.translate("JoinPreview", "Looking up this Space…")
