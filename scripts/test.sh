#!/usr/bin/env bash
# Install OncoBank as a user does, then its test tools (which must not move any runtime dependency), then run
# the lint and the whole test suite (SQLite and PostgreSQL) on exactly those versions.
set -euo pipefail
cd "$(dirname "$0")/.."
pip=(python3 -m pip install --quiet --disable-pip-version-check)
"${pip[@]}" -e .
versions="$(mktemp)"
trap 'rm -f "$versions"' EXIT
python3 scripts/runtime_versions.py --save "$versions"
"${pip[@]}" -e ".[dev]"
python3 scripts/runtime_versions.py --compare "$versions"
python3 -m ruff check .
# Tests marked slow (big data: 10,000-patient ground truth, 2,000-patient linkage, the Spark repeats of suites that
# also run on DuckDB and PostgreSQL) run with ONCOBANK_SLOW=1; a smaller test of each always runs (the engine's own
# Spark tests and publishing to Spark among them).
if [ "${ONCOBANK_SLOW:-0}" = "1" ]; then marks=(); else marks=(-m "not slow"); fi
python3 -m pytest -q -n 2 -p no:cacheprovider "${marks[@]}" "$@"
