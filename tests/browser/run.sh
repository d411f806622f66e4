#!/usr/bin/env bash
# The portal in headless Chromium: starts `idp serve` on the local backend (a temporary state
# directory) with the example app's config, seeds three environments (the local backend really
# starts examples/app/server.py for each), an admin, a viewer and a developer token and a small
# run, runs the browser tests (tests/browser/*.test.mjs, playwright-core and axe-core), and
# always stops the server and destroys every environment it made.
#
#   IDP_BIN=target/debug/idp bash tests/browser/run.sh
#
# Screenshots of every page visited: $CARGO_TARGET_DIR/portal-screenshots (default
# target/portal-screenshots). IDP_PORTAL_README_SHOTS=1 also rewrites docs/screenshots/*.png.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
# shellcheck source=../lib/serve.sh
source "$root/.ci/lib/serve.sh"
idp="${IDP_BIN:-$root/target/debug/idp}"
config="examples/app/.idp/config.yml"

log() { printf 'browser/run.sh: %s\n' "$*" >&2; }

[ -x "$idp" ] || { log "no idp binary at $idp (set IDP_BIN or build it)"; exit 1; }
[ -x /usr/bin/chromium ] || [ -n "${IDP_CHROMIUM:-}" ] || {
  log "no /usr/bin/chromium: apt-get install -y --no-install-recommends chromium"; exit 1; }
if [ ! -f node_modules/playwright-core/package.json ] || [ ! -f node_modules/axe-core/axe.min.js ]; then
  log "installing the npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi

work="$(mktemp -d)"
server_pid=""
seeded=(web-alpha web-beta api-gamma)
owners=(alice alice bob)
created="web-delta"
stop() {
  local status=$?
  if [ -n "$server_pid" ]; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  # Every environment of this state directory: the seeded ones, the one the tests create, and
  # any other left behind.
  local names
  names="$("$idp" list --all --output json 2>/dev/null | python3 -c '
import json, sys
try:
    data = json.load(sys.stdin)
except ValueError:
    sys.exit(0)
envs = data.get("environments", data) if isinstance(data, dict) else data
for e in envs if isinstance(envs, list) else []:
    if isinstance(e, dict) and e.get("status") != "destroyed" and e.get("name"):
        print(e["name"])
' 2>/dev/null || true)"
  for name in "${seeded[@]}" "$created" $names; do
    "$idp" destroy "$name" --yes >/dev/null 2>&1 || true
  done
  rm -rf "$work"
  exit "$status"
}
trap stop EXIT

export IDP_BACKEND=local IDP_STATE_DIR="$work/state" XDG_CONFIG_HOME="$work/config" NO_COLOR=1
unset IDP_CONFIG_FILE
export IDP_WEBHOOK_SECRET="portal-webhook-secret" IDP_JWT_SECRET="portal-jwt-secret"
mkdir -p "$work/runs"

for i in "${!seeded[@]}"; do
  log "creating ${seeded[$i]} (owner ${owners[$i]})"
  "$idp" create --name "${seeded[$i]}" --config "$config" --ttl 2h --owner "${owners[$i]}" --yes >"$work/create-${seeded[$i]}.log" 2>&1 \
    || { cat "$work/create-${seeded[$i]}.log" >&2; exit 1; }
done

token() { "$idp" serve token create --role "$1" --owner "$2" --output json | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'; }
admin_token="$(token admin alice)"
viewer_token="$(token viewer victor)"
developer_token="$(token developer dana)"

run_id="portal-seed-run"
if "$idp" run tests/browser/fixtures/run.yml --run-id "$run_id" --workdir "$work/runs" >"$work/run.log" 2>&1; then
  run_orders="build,smoke-test"
else
  log "seeding a run failed; the runs test only checks the list:"
  cat "$work/run.log" >&2
  run_id="" run_orders=""
fi

start_idp_serve "$idp" "$work/serve.log" --config "$config" --runs-dir "$work/runs" \
  --rate-limit 1000000 --shutdown-timeout 20
log "idp serve at $base"

shots="${CARGO_TARGET_DIR:-$root/target}/portal-screenshots"
mkdir -p "$shots"
rm -f "$shots"/*.png

pairs=""
for i in "${!seeded[@]}"; do pairs+="${pairs:+,}${seeded[$i]}=${owners[$i]}"; done

status=0
IDP_PORTAL_URL="$base" \
IDP_PORTAL_TOKEN_ADMIN="$admin_token" \
IDP_PORTAL_TOKEN_VIEWER="$viewer_token" \
IDP_PORTAL_TOKEN_DEVELOPER="$developer_token" \
IDP_PORTAL_SEEDED="$pairs" \
IDP_PORTAL_NEW_NAME="$created" \
IDP_PORTAL_TEMPLATE="api-service" \
IDP_PORTAL_RUN_ID="$run_id" \
IDP_PORTAL_RUN_ORDERS="$run_orders" \
IDP_PORTAL_SHOTS_DIR="$shots" \
  node --test --test-concurrency=1 tests/browser/*.test.mjs || status=$?

log "screenshots: $shots"
if [ "$status" -ne 0 ]; then
  log "the browser tests failed (exit $status); the server's log:"
  tail -50 "$work/serve.log" >&2
fi
for t in "$admin_token" "$viewer_token" "$developer_token"; do
  if grep -qF "$t" "$work/serve.log"; then
    log "a token appears in the server's log"
    status=1
  fi
done
exit "$status"
