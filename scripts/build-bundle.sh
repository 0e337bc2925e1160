#!/usr/bin/env bash
# Builds the one-folder desktop bundle from build.spec and checks that it starts (no display needed).
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m pip install -q -e ".[bundle]"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
.venv/bin/pyinstaller --noconfirm --log-level WARN --distpath dist --workpath "$work/build" build.spec
HOME="$work/home" QT_QPA_PLATFORM=offscreen dist/spaces-desktop/spaces-desktop gui --self-check
echo "bundle: dist/spaces-desktop ($(du -sh dist/spaces-desktop | cut -f1))"
