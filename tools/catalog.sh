#!/usr/bin/env bash
# The gettext catalogs (README "Languages"): extract every marked text, merge it into each
# language's .po, compile the .mo files the wheel ships. `tools/catalog.sh check` changes
# nothing: it fails when a marked text is missing from a catalog, untranslated or fuzzy, or a
# compiled catalog is not up to date (CI runs it).
set -euo pipefail
cd "$(dirname "$0")/.."
PYBABEL=${PYBABEL:-.venv/bin/pybabel}
LOCALES=deskapp/locale
POT=$LOCALES/deskapp.pot
extract() {
  "$PYBABEL" extract -F babel.cfg -k N_ -k ngettext:1,2 --no-location --sort-output --omit-header -o "$1" . >/dev/null
}
case "${1:-update}" in
  update)
    extract "$POT"
    "$PYBABEL" update -i "$POT" -d "$LOCALES" -D deskapp --ignore-obsolete --ignore-pot-creation-date --no-fuzzy-matching
    "$PYBABEL" compile -d "$LOCALES" -D deskapp --statistics
    ;;
  check)
    fresh=$(mktemp -t deskapp-pot-XXXX)
    extract "$fresh"
    diff -q <(grep '^msgid' "$fresh") <(grep '^msgid' "$POT") >/dev/null \
      || { echo "catalog: $POT is not the texts the code marks; run tools/catalog.sh" >&2; exit 1; }
    "$PYBABEL" update -i "$fresh" -d "$LOCALES" -D deskapp --check --ignore-obsolete --ignore-pot-creation-date
    "$PYBABEL" compile -d "$LOCALES" -D deskapp --statistics
    .venv/bin/python -m pytest -q -p no:cacheprovider tests/unit/test_catalog.py
    ;;
  *) echo "usage: tools/catalog.sh [update|check]" >&2; exit 2 ;;
esac
