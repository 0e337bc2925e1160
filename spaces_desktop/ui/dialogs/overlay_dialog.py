"""The overlay panel: lower third, logo and product card, with a live preview of the published picture.

The preview runs the engine's own compositor over a sample picture, so what
it shows is what viewers get, animation included. Edits apply as you type
(after a short pause), through ``on_change``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from spaces_desktop.domain import CameraSource
from spaces_desktop.media.overlays import Compositor
from spaces_desktop.ui.qt.overlay_art import render
from spaces_desktop.ui.qt.overlay_publisher import SOURCES
from spaces_desktop.ui.qt.theme import DARK, Palette
from spaces_desktop.ui.viewmodels import shortcuts
from spaces_desktop.ui.viewmodels.overlay_config import (
    CORNER_LABELS,
    MAX_TEXT,
    Corner,
    OverlayConfig,
    OverlayKind,
)
from spaces_desktop.ui.widgets.plain import PlainLabel

PREVIEW_W = 384
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.svg *.webp *.bmp *.gif)"
APPLY_DELAY_MS = 250


def sample_picture(width: int, height: int, palette: Palette = DARK) -> np.ndarray:
    """A neutral stand-in for the camera picture (BGR): a soft vertical gradient."""
    top = np.array([0x3A, 0x33, 0x2C], dtype=np.float32)
    bottom = np.array([0x1D, 0x18, 0x15], dtype=np.float32)
    t = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    column = top * (1 - t) + bottom * t
    return np.ascontiguousarray(np.broadcast_to(column, (height, width, 3)).astype(np.uint8))


def _bgr_pixmap(image: np.ndarray, width: int) -> QPixmap:
    height, w = image.shape[:2]
    rgb = np.ascontiguousarray(image[:, :, ::-1])
    qimage = QImage(rgb.data, w, height, 3 * w, QImage.Format.Format_RGB888).copy()
    return QPixmap.fromImage(qimage).scaledToWidth(width, Qt.TransformationMode.SmoothTransformation)


class OverlayDialog(QDialog):
    def __init__(
        self,
        config: OverlayConfig,
        on_change: Callable[[OverlayConfig], None],
        frame_size: tuple[int, int] = (640, 360),
        palette: Palette = DARK,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Overlays"))
        self.setObjectName("overlayDialog")
        self._on_change = on_change
        self._frame_size = frame_size
        self._palette = palette
        self._sample = sample_picture(*frame_size, palette)
        self.compositors = {source: Compositor() for source in CameraSource}

        self.name = self._line(config.name, self.tr("Your name"), self.tr("Name"))
        self.line = self._line(config.line, self.tr("Title or @handle"), self.tr("Line under the name"))
        self.lower_third_on = QCheckBox(self.tr("Show (%1)").replace("%1", shortcuts.LOWER_THIRD.keys))
        self.lower_third_on.setChecked(config.lower_third_on)
        self.logo_path = self._line(config.logo_path, self.tr("No image picked"), self.tr("Logo image"))
        self.logo_path.setReadOnly(True)
        self.logo_pick = QPushButton(self.tr("Choose…"))
        self.logo_pick.clicked.connect(lambda: self._pick(self.logo_path))
        self.logo_corner = QComboBox()
        self.logo_corner.setAccessibleName(self.tr("Logo corner"))
        for corner, label in CORNER_LABELS.items():
            self.logo_corner.addItem(label, corner)
        self.logo_corner.setCurrentIndex(list(CORNER_LABELS).index(config.logo_corner))
        self.logo_on = QCheckBox(self.tr("Show (%1)").replace("%1", shortcuts.LOGO.keys))
        self.logo_on.setChecked(config.logo_on)
        self.product_name = self._line(config.product_name, self.tr("Product name"), self.tr("Product name"))
        self.product_price = self._line(config.product_price, self.tr("e.g. €49"), self.tr("Price"))
        self.product_line = self._line(
            config.product_line, self.tr("One line about it"), self.tr("Product line")
        )
        self.product_image = self._line(
            config.product_image, self.tr("No image picked"), self.tr("Product image")
        )
        self.product_image.setReadOnly(True)
        self.product_pick = QPushButton(self.tr("Choose…"))
        self.product_pick.clicked.connect(lambda: self._pick(self.product_image))
        self.product_on = QCheckBox(self.tr("Show (%1)").replace("%1", shortcuts.PRODUCT_CARD.keys))
        self.product_on.setChecked(config.product_on)

        lower = QGroupBox(self.tr("Lower third (on your camera)"))
        form = QFormLayout(lower)
        form.addRow(self.tr("Name"), self.name)
        form.addRow(self.tr("Line"), self.line)
        form.addRow("", self.lower_third_on)
        logo_box = QGroupBox(self.tr("Logo (on both cameras)"))
        form = QFormLayout(logo_box)
        form.addRow(self.tr("Image"), self._with_button(self.logo_path, self.logo_pick))
        form.addRow(self.tr("Corner"), self.logo_corner)
        form.addRow("", self.logo_on)
        product = QGroupBox(self.tr("Product card (on the product camera)"))
        form = QFormLayout(product)
        form.addRow(self.tr("Name"), self.product_name)
        form.addRow(self.tr("Price"), self.product_price)
        form.addRow(self.tr("Line"), self.product_line)
        form.addRow(self.tr("Image"), self._with_button(self.product_image, self.product_pick))
        form.addRow("", self.product_on)

        self.preview_main = PlainLabel()
        self.preview_main.setAccessibleName(self.tr("Preview of your camera"))
        self.preview_second = PlainLabel()
        self.preview_second.setAccessibleName(self.tr("Preview of the product camera"))
        previews = QVBoxLayout()
        for heading, picture in (
            (self.tr("Your camera"), self.preview_main),
            (self.tr("Product camera"), self.preview_second),
        ):
            caption = PlainLabel(heading)
            caption.setObjectName("note")
            previews.addWidget(caption)
            previews.addWidget(picture)
        previews.addStretch(1)
        note = PlainLabel(
            self.tr("Everyone sees these in your video, the web player too. Changes apply as you type.")
        )
        note.setObjectName("note")
        note.setWordWrap(True)

        fields_column = QVBoxLayout()
        for box in (lower, logo_box, product):
            fields_column.addWidget(box)
        fields_column.addWidget(note)
        fields_column.addStretch(1)
        columns = QHBoxLayout()
        columns.addLayout(fields_column, 1)
        columns.addLayout(previews)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(columns)
        layout.addWidget(buttons)

        self._apply_timer = QTimer(self, singleShot=True, interval=APPLY_DELAY_MS)
        self._apply_timer.timeout.connect(self._apply)
        self._animation = QTimer(self, interval=33)
        self._animation.timeout.connect(self._repaint_preview)
        for edit in (self.name, self.line, self.product_name, self.product_price, self.product_line):
            edit.textChanged.connect(self._edited)
        for path_edit in (self.logo_path, self.product_image):
            path_edit.textChanged.connect(self._changed_now)
        for check in (self.lower_third_on, self.logo_on, self.product_on):
            check.toggled.connect(self._changed_now)
        self.logo_corner.currentIndexChanged.connect(self._changed_now)
        self._refresh_preview_layers()

    # --- reading the form ---

    def config(self) -> OverlayConfig:
        return OverlayConfig(
            name=self.name.text(),
            line=self.line.text(),
            lower_third_on=self.lower_third_on.isChecked(),
            logo_path=self.logo_path.text(),
            logo_corner=Corner(self.logo_corner.currentData()),
            logo_on=self.logo_on.isChecked(),
            product_name=self.product_name.text(),
            product_price=self.product_price.text(),
            product_line=self.product_line.text(),
            product_image=self.product_image.text(),
            product_on=self.product_on.isChecked(),
        )

    def set_shown(self, kind: OverlayKind, on: bool) -> None:
        """A hotkey toggled an overlay while the panel is open: show it here too."""
        box = {
            OverlayKind.LOWER_THIRD: self.lower_third_on,
            OverlayKind.LOGO: self.logo_on,
            OverlayKind.PRODUCT: self.product_on,
        }[kind]
        box.blockSignals(True)
        box.setChecked(on)
        box.blockSignals(False)
        self._refresh_preview_layers()

    # --- preview ---

    def preview_frame(self, source: CameraSource) -> np.ndarray:
        """The sample picture with this camera's overlays as they stand now (BGR)."""
        return self.compositors[source].apply(self._sample)

    def _refresh_preview_layers(self) -> None:
        layers = render(self.config(), self._frame_size, self._palette)
        for source, compositor in self.compositors.items():
            compositor.set_layers([layer for kind, layer in layers.items() if source in SOURCES[kind]])
        self._animation.start()
        self._repaint_preview()

    def _repaint_preview(self) -> None:
        for source, label in (
            (CameraSource.MAIN, self.preview_main),
            (CameraSource.SECOND, self.preview_second),
        ):
            label.setPixmap(_bgr_pixmap(self.preview_frame(source), PREVIEW_W))
        settled = all(
            self.compositors[source].progress(key) in (0.0, 1.0)
            for source in CameraSource
            for key in self.compositors[source].visible()
        )
        if settled:
            self._animation.stop()

    # --- edits ---

    def _edited(self) -> None:
        self._refresh_preview_layers()
        self._apply_timer.start()

    def _changed_now(self) -> None:
        self._refresh_preview_layers()
        self._apply()

    def _apply(self) -> None:
        self._apply_timer.stop()
        self._on_change(self.config())

    def done(self, result: int) -> None:
        if self._apply_timer.isActive():
            self._apply()  # the last keystrokes count
        self._animation.stop()
        super().done(result)

    def _pick(self, target: QLineEdit) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose an image", "", IMAGE_FILTER)
        if path:
            target.setText(path)

    @staticmethod
    def _line(text: str, placeholder: str, accessible: str) -> QLineEdit:
        edit = QLineEdit(text)
        edit.setPlaceholderText(placeholder)
        edit.setAccessibleName(accessible)
        edit.setMaxLength(MAX_TEXT if "image" not in accessible.lower() else 4096)
        return edit

    @staticmethod
    def _with_button(edit: QLineEdit, button: QPushButton) -> QWidget:
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(edit, 1)
        layout.addWidget(button)
        return row
