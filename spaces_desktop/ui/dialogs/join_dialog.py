"""Joining a Space from a link: the name others will see, then in as a listener (GUI thread)."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QHBoxLayout, QLineEdit, QPushButton, QVBoxLayout, QWidget

from spaces_desktop.signaling.errors import InvalidLink
from spaces_desktop.signaling.links import parse_link
from spaces_desktop.ui.qt.theme import Theme
from spaces_desktop.ui.widgets.plain import PlainLabel
from spaces_desktop.ui.widgets.plain import plain_label as _label


class JoinDialog(QDialog):
    def __init__(self, theme: Theme, link: str, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Join a Space")
        self.setModal(True)
        self.link_edit = QLineEdit(link)
        self.link_edit.setAccessibleName("Space link")
        self.link_edit.setPlaceholderText("https://example.com/s/AbC123")
        self.where = _label("", "muted")
        self.name_edit = QLineEdit(name)
        self.name_edit.setPlaceholderText("The name others see")
        self.name_edit.setMaxLength(50)
        self.name_edit.setAccessibleName("Your display name")
        self.error = _label("", "error")
        self.error.setWordWrap(True)
        self.join_button = QPushButton("Join as listener")
        self.join_button.setProperty("kind", "primary")
        self.join_button.setIcon(theme.icon("join", "#ffffff", 18))
        self.join_button.setDefault(True)
        cancel = QPushButton("Cancel")

        icon = PlainLabel()
        icon.setPixmap(theme.icon("spaces", theme.palette.accent, 32).pixmap(32, 32))
        top = QHBoxLayout()
        top.setSpacing(12)
        top.addWidget(icon)
        title_box = QVBoxLayout()
        title_box.setSpacing(0)
        title_box.addWidget(_label("Join a Space", "title"))
        title_box.addWidget(self.where)
        top.addLayout(title_box, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(10)
        layout.addLayout(top)
        layout.addSpacing(6)
        layout.addWidget(_label("LINK", "section"))
        layout.addWidget(self.link_edit)
        layout.addWidget(_label("YOUR NAME", "section"))
        layout.addWidget(self.name_edit)
        layout.addWidget(self.error)
        hint = _label(
            "You join as a listener. Once in, you can request to speak; "
            "the host may also invite you on stage.",
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
        self.name_edit.textChanged.connect(self._validate)
        self._validate()

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
            base, space_id = parse_link(self.link)
            self.where.setText(f"Space {space_id} on {base}")
        except InvalidLink as exc:
            self.where.setText("")
            if self.link:
                self.error.setText(exc.message)
                self.error.show()
            ok = False
        self.join_button.setEnabled(ok)
        return ok

    def _join(self) -> None:
        if self._validate():
            self.accept()
