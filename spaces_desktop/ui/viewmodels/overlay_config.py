"""What a speaker puts in their picture: lower third, corner logo, product card (plain data, per Space)."""

from __future__ import annotations

import contextlib
import json
from dataclasses import asdict, dataclass, fields, replace
from enum import StrEnum
from typing import Any


class OverlayKind(StrEnum):
    LOWER_THIRD = "lower_third"
    LOGO = "logo"
    PRODUCT = "product"


class Corner(StrEnum):
    TOP_LEFT = "top-left"
    TOP_RIGHT = "top-right"
    BOTTOM_LEFT = "bottom-left"
    BOTTOM_RIGHT = "bottom-right"


CORNER_LABELS = {
    Corner.TOP_LEFT: "Top left",
    Corner.TOP_RIGHT: "Top right",
    Corner.BOTTOM_LEFT: "Bottom left",
    Corner.BOTTOM_RIGHT: "Bottom right",
}
MAX_TEXT = 80


@dataclass(frozen=True)
class OverlayConfig:
    name: str = ""
    line: str = ""
    """Under the name: a title or a handle."""
    lower_third_on: bool = False
    logo_path: str = ""
    logo_corner: Corner = Corner.TOP_RIGHT
    logo_on: bool = False
    product_name: str = ""
    product_price: str = ""
    product_line: str = ""
    product_image: str = ""
    product_on: bool = False

    def shown(self, kind: OverlayKind) -> bool:
        return bool(getattr(self, f"{'lower_third' if kind is OverlayKind.LOWER_THIRD else kind.value}_on"))

    def with_shown(self, kind: OverlayKind, on: bool) -> OverlayConfig:
        if kind is OverlayKind.LOWER_THIRD:
            return replace(self, lower_third_on=on)
        if kind is OverlayKind.LOGO:
            return replace(self, logo_on=on)
        return replace(self, product_on=on)

    def ready(self, kind: OverlayKind) -> bool:
        """Whether there is something to draw for ``kind``."""
        if kind is OverlayKind.LOWER_THIRD:
            return bool(self.name.strip() or self.line.strip())
        if kind is OverlayKind.LOGO:
            return bool(self.logo_path)
        return bool(self.product_name.strip() or self.product_price.strip() or self.product_image)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> OverlayConfig:
        """A kept config; anything unreadable or of the wrong type falls back to the defaults."""
        try:
            raw: Any = json.loads(text)
        except ValueError:
            return cls()
        if not isinstance(raw, dict):
            return cls()
        default = cls()
        values: dict[str, Any] = {}
        for f in fields(cls):
            value = raw.get(f.name)
            current = getattr(default, f.name)
            if isinstance(current, bool):
                if isinstance(value, bool):
                    values[f.name] = value
            elif isinstance(current, Corner):
                with contextlib.suppress(ValueError):
                    values[f.name] = Corner(str(value))
            elif isinstance(value, str):
                values[f.name] = value[: MAX_TEXT if "path" not in f.name and "image" not in f.name else 4096]
        return replace(default, **values)
