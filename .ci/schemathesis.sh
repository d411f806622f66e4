#!/usr/bin/env bash
# The REST API against its own OpenAPI document: starts `idp serve` on the local backend (a
# temporary state directory, a developer token, orders confined to a temporary directory), runs
# schemathesis on the document it serves (no 5xx; every status, content type, header and body
# as documented), and stops the server.
#
#   IDP_BIN=target/debug/idp bash .ci/schemathesis.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# shellcheck source=lib/serve.sh
source "$root/.ci/lib/serve.sh"
idp="${IDP_BIN:-$root/target/debug/idp}"
venv="$root/.tools/schemathesis"
version="4.32.5"

log() { printf 'schemathesis.sh: %s\n' "$*" >&2; }

if [ ! -x "$venv/bin/schemathesis" ] || ! "$venv/bin/schemathesis" --version | grep -q "$version"; then
  log "installing schemathesis $version into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version"
fi

work="$(mktemp -d)"
server_pid=""
stop() {
  if [ -n "$server_pid" ]; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap stop EXIT

export IDP_BACKEND=local IDP_STATE_DIR="$work/state" XDG_CONFIG_HOME="$work/config" NO_COLOR=1
unset IDP_CONFIG_FILE
export IDP_WEBHOOK_SECRET="schemathesis-webhook-secret" IDP_JWT_SECRET="schemathesis-jwt-secret"
mkdir -p "$work/runs"
token="$("$idp" serve token create --role developer --owner schemathesis --output json | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')"

start_idp_serve "$idp" "$work/serve.log" --runs-dir "$work/runs" --rate-limit 1000000 \
  --shutdown-timeout 20
log "idp serve at $base"

status=0
"$venv/bin/schemathesis" run "$base/v1/openapi.json" \
  --header "Authorization: Bearer $token" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
  --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-100}" \
  --request-timeout 30 \
  --phases examples,coverage,fuzzing \
  --seed 1 \
  --report junit --report-dir "$work/report" || status=$?
if [ "$status" -ne 0 ]; then
  log "schemathesis found problems (exit $status); the server's log:"
  tail -50 "$work/serve.log" >&2
fi
if grep -q "$token" "$work/serve.log"; then
  log "the token appears in the server's log"
  status=1
fi
exit "$status"
