"""Spaces Desktop: live audio and video Spaces on the desktop."""

__version__ = "0.1.0"
