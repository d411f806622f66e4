#!/usr/bin/env bash
# Installs the tools the Kubernetes manifest checks (idp-core/tests/kubernetes.rs) run:
#   - kubernetes-validate (PyPI, pinned): the upstream Kubernetes OpenAPI schemas, strict;
#   - checkov (the venv .ci/infra-checks.sh keeps) with `--framework kubernetes`;
#   - the Argo CD CRD schemas come from @kubernetes-models/argo-cd (package.json, `npm ci`).
# Run from the repository root. Prints nothing on stdout but the tools' paths.
set -euo pipefail

KUBERNETES_VALIDATE_VERSION="1.37.0"
K8S_VENV=".tools/k8s"
CHECKOV_VERSION="3.3.30"
CHECKOV_VENV=".tools/checkov"

installed_version() { # venv, distribution
  "$1/bin/python" -c "import importlib.metadata as m; print(m.version('$2'))" 2>/dev/null || true
}

if [[ "$(installed_version "$K8S_VENV" kubernetes-validate)" != "$KUBERNETES_VALIDATE_VERSION" ]]; then
  python3 -m venv "$K8S_VENV"
  "$K8S_VENV/bin/pip" install -q --disable-pip-version-check "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" >&2
fi
if [[ "$(installed_version "$CHECKOV_VENV" checkov)" != "$CHECKOV_VERSION" ]]; then
  python3 -m venv "$CHECKOV_VENV"
  "$CHECKOV_VENV/bin/pip" install -q --disable-pip-version-check "checkov==$CHECKOV_VERSION" >&2
fi
if [[ ! -d node_modules/@kubernetes-models/argo-cd ]]; then
  echo "k8s-checks: node_modules/@kubernetes-models/argo-cd is missing: run \`npm ci\`" >&2
  exit 1
fi
echo "$K8S_VENV/bin/kubernetes-validate"
echo "$CHECKOV_VENV/bin/checkov"
