#!/usr/bin/env bash
# Creates .venv and installs Spaces Desktop into it with its test tools.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[test]"
# Screen and window sharing (Qt Multimedia, ~175 MB); the app runs without it and says so.
.venv/bin/python -m pip install -q -e ".[screen]" || echo "note: screen sharing (PySide6-Addons) did not install"
# Echo cancellation compiles from source; the app and its tests run without it if that fails.
.venv/bin/python -m pip install -q -e ".[aec]" || echo "note: echo cancellation (aec-audio-processing) did not install"
# spaces:// links open the app (a desktop entry for this user; harmless to repeat).
.venv/bin/spaces-desktop register-links || echo "note: spaces:// links could not be registered"
