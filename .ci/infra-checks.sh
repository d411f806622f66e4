#!/usr/bin/env bash
# Static checks of infrastructure/: checkov over every module, template and shared stack.
# Run from the repository root. Fails on any failed check; a check may only be suppressed in
# place, next to the resource, with `# checkov:skip=CKV_...: reason`.
set -euo pipefail

CHECKOV_VERSION="3.3.30"
VENV=".tools/checkov"

if [[ ! -d infrastructure ]]; then
  echo "infra-checks: run from the repository root (no infrastructure/ here)" >&2
  exit 2
fi

# checkov gets its own venv: its bc-python-hcl2 and python-hcl2 both install the module `hcl2`
# and break each other.
installed=$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("checkov"))' 2>/dev/null || true)
if [[ "$installed" != "$CHECKOV_VERSION" ]]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "checkov==$CHECKOV_VERSION"
fi

# Offline: --skip-download stops checkov from fetching guidelines (and printing tracebacks
# when it cannot).
export BC_SKIP_MAPPING=TRUE
start=$SECONDS
status=0
"$VENV/bin/checkov" -d infrastructure --framework terraform --skip-download --compact --quiet || status=$?
echo "infra-checks: checkov finished in $((SECONDS - start)) s with exit code $status"
exit "$status"
