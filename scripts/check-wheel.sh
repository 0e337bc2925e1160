#!/usr/bin/env bash
# Builds the wheel, installs it in a fresh virtualenv away from the source tree and starts the app from
# there: proves the package carries everything it needs (icons, themes, sounds, translations) without a checkout.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
.venv/bin/python -m pip wheel -q --no-deps -w "$work/dist" .
wheel="$(ls "$work"/dist/spaces_desktop-*.whl)"
for needed in spaces_desktop/resources/themes/app.qss spaces_desktop/resources/icons/mic.svg \
  spaces_desktop/resources/speech/ava.ogg spaces_desktop/resources/translations/spaces_desktop.ts; do
  .venv/bin/python -c "import sys, zipfile; sys.exit(0 if '$needed' in zipfile.ZipFile('$wheel').namelist() else 1)" \
    || { echo "wheel lacks $needed" >&2; exit 1; }
done
"$PYTHON" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q "$wheel"
cd "$work"  # no source tree on the path
HOME="$work/home" QT_QPA_PLATFORM=offscreen "$work/venv/bin/spaces-desktop" gui --self-check
"$work/venv/bin/spaces-desktop" serve --help >/dev/null
echo "wheel: $(basename "$wheel") installs and starts outside the source tree"
