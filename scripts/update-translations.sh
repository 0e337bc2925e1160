#!/usr/bin/env bash
# Regenerates the source catalogue (every user-facing string of spaces_desktop/ui) after a string changed;
# tests/gui/test_translation.py fails while it is out of date. Give a language code to update that language's
# catalogue instead (e.g. `scripts/update-translations.sh de`), then translate it in pyside6-linguist.
set -euo pipefail
cd "$(dirname "$0")/.."
folder=spaces_desktop/resources/translations
if [[ $# -gt 0 ]]; then
  target="$folder/spaces_desktop_$1.ts"
  language=(-target-language "$1")
else
  target="$folder/spaces_desktop.ts"
  language=()
fi
# No line numbers: the catalogue changes only when a string does, so branches merge without conflicts.
.venv/bin/pyside6-lupdate $(git ls-files 'spaces_desktop/ui/*.py') -source-language en -no-obsolete \
  -locations none "${language[@]}" -ts "$target"
.venv/bin/python scripts/mark_plurals.py "$target"
