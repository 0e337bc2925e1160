"""Joining a Space from a link: what the Space is, the name others will see, then in as a listener.

GUI thread only. While the link is valid the dialog shows the Space's title,
host, status and audience from the backend's ``/preview``, fetched off the GUI
thread by a :class:`PreviewFetcher` (a short pause after typing stops, so
typing a link does not send a request per key). Everything the backend sends
is shown as plain text.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLineEdit, QPushButton, QVBoxLayout, QWidget

from spaces_desktop.protocol import SpacePreview
from spaces_desktop.signaling.errors import InvalidLink
from spaces_desktop.signaling.links import parse_link
from spaces_desktop.ui.qt.preview import PreviewFetcher
from spaces_desktop.ui.qt.theme import Theme
from spaces_desktop.ui.viewmodels.preview_text import looking_up, preview_details, preview_failed
from spaces_desktop.ui.widgets.plain import PlainLabel, set_plain_tooltip
from spaces_desktop.ui.widgets.plain import plain_label as _label

PREVIEW_DELAY_MS = 400


class JoinDialog(QDialog):
    def __init__(
        self,
        theme: Theme,
        link: str,
        name: str,
        parent: QWidget | None = None,
        *,
        fetcher: PreviewFetcher | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Join a Space"))
        self.setModal(True)
        self.preview: SpacePreview | None = None
        self._looked_up: tuple[str, str] | None = None
        self.fetcher = fetcher or PreviewFetcher(parent=self)
        self.fetcher.ready.connect(self._show_preview)
        self.fetcher.failed.connect(self._preview_failed)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(PREVIEW_DELAY_MS)
        self._debounce.timeout.connect(self._look_up)

        self.link_edit = QLineEdit(link)
        self.link_edit.setAccessibleName(self.tr("Space link"))
        self.link_edit.setPlaceholderText(self.tr("https://example.com/s/AbC123"))
        self.where = _label("", "muted")
        self.space_title = _label("", "subtitle")
        self.space_title.setWordWrap(True)
        self.space_title.setStyleSheet("font-weight: 700; font-size: 12pt;")
        self.space_title.hide()
        self.details = _label("", "muted")
        self.details.setWordWrap(True)
        self.details.hide()
        self.name_edit = QLineEdit(name)
        self.name_edit.setPlaceholderText(self.tr("The name others see"))
        self.name_edit.setMaxLength(50)
        self.name_edit.setAccessibleName(self.tr("Your display name"))
        self.error = _label("", "error")
        self.error.setWordWrap(True)
        self.join_button = QPushButton(self.tr("Join as listener"))
        self.join_button.setProperty("kind", "primary")
        self.join_button.setIcon(theme.icon("join", "#ffffff", 18))
        self.join_button.setDefault(True)
        self.join_button.setAccessibleName(self.tr("Join as listener"))
        cancel = QPushButton(self.tr("Cancel"))
        cancel.setAccessibleName(self.tr("Cancel"))

        icon = PlainLabel()
        icon.setPixmap(theme.icon("spaces", theme.palette.accent, 32).pixmap(32, 32))
        icon.setAccessibleName(self.tr("Spaces"))
        top = QHBoxLayout()
        top.setSpacing(12)
        top.addWidget(icon)
        title_box = QVBoxLayout()
        title_box.setSpacing(0)
        title_box.addWidget(_label(self.tr("Join a Space"), "title"))
        title_box.addWidget(self.where)
        top.addLayout(title_box, 1)

        space_box = QVBoxLayout()
        space_box.setSpacing(2)
        space_box.addWidget(self.space_title)
        space_box.addWidget(self.details)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(10)
        layout.addLayout(top)
        layout.addLayout(space_box)
        layout.addSpacing(6)
        link_label = _label(self.tr("LINK"), "section")
        link_label.setBuddy(self.link_edit)
        layout.addWidget(link_label)
        layout.addWidget(self.link_edit)
        name_label = _label(self.tr("YOUR NAME"), "section")
        name_label.setBuddy(self.name_edit)
        layout.addWidget(name_label)
        layout.addWidget(self.name_edit)
        layout.addWidget(self.error)
        hint = _label(
            self.tr(
                "You join as a listener. Once in, you can request to speak; "
                "the host may also invite you on stage."
            ),
            "muted",
        )
        hint.setWordWrap(True)
        layout.addWidget(hint)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.join_button)
        layout.addSpacing(6)
        layout.addLayout(buttons)
        self.setMinimumWidth(480)

        cancel.clicked.connect(self.reject)
        self.join_button.clicked.connect(self._join)
        self.link_edit.textChanged.connect(self._validate)
        self.link_edit.textChanged.connect(lambda _: self._debounce.start())
        self.name_edit.textChanged.connect(self._validate)
        self.finished.connect(lambda _: self.fetcher.cancel())
        self._validate()
        self._look_up()  # the link given at open is looked up at once

    @property
    def link(self) -> str:
        return self.link_edit.text().strip()

    @property
    def name(self) -> str:
        return self.name_edit.text().strip()

    def _validate(self) -> bool:
        self.error.clear()
        self.error.hide()
        ok = bool(self.name)
        try:
            base, _ = parse_link(self.link)
            self.where.setText(self.tr("on %1").replace("%1", base))
        except InvalidLink as exc:
            self.where.setText("")
            if self.link:
                self.error.setText(exc.message)
                self.error.show()
            ok = False
        self.join_button.setEnabled(ok)
        return ok

    # --- the preview ---

    def _look_up(self) -> None:
        try:
            target = parse_link(self.link)
        except InvalidLink:
            target = None
        if target == self._looked_up:
            return
        self._looked_up = target
        self.preview = None
        if target is None:
            self.fetcher.cancel()
            self.space_title.hide()
            self.details.hide()
            return
        self.space_title.hide()
        self.details.setProperty("role", "muted")
        self._repolish(self.details)
        self.details.setText(looking_up())
        self.details.show()
        self.fetcher.fetch(*target)

    def _show_preview(self, preview: SpacePreview) -> None:
        self.preview = preview
        self.space_title.setText(preview.title)
        set_plain_tooltip(self.space_title, preview.title)
        self.space_title.show()
        self.details.setProperty("role", "muted")
        self._repolish(self.details)
        self.details.setText(preview_details(preview))
        self.details.show()

    def _preview_failed(self, message: str) -> None:
        self.preview = None
        self.space_title.hide()
        self.details.setProperty("role", "error")
        self._repolish(self.details)
        self.details.setText(preview_failed(message))
        self.details.show()

    def _repolish(self, widget: QWidget) -> None:
        widget.style().unpolish(widget)
        widget.style().polish(widget)
        # The preview's lines come and go: grow the dialog so wrapped text is never squeezed.
        QTimer.singleShot(0, self, self._fit)  # dropped if the dialog is gone by then

    def _fit(self) -> None:
        layout = self.layout()
        if layout is not None:
            layout.activate()
        self.resize(self.width(), max(self.height(), self.sizeHint().height()))

    def _join(self) -> None:
        if self._validate():
            self.accept()
