"""The stage: video and avatars of everyone on stage, the active speaker enlarged.

``StageView`` is the widget the Space screen embeds; see ``view.py`` for which
thread runs what.
"""

from spaces_desktop.ui.stage.view import StageView

__all__ = ["StageView"]
