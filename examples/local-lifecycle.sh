#!/usr/bin/env bash
# The main job on the embedded local backend, no AWS account needed: create an environment from
# the example app, show it answering over HTTP, list it, extend it, read its logs, destroy it.
set -euo pipefail
cd "$(dirname "$0")/.."

# IDP_BIN: an already built `idp` (CI passes the one its test run built); else build it.
if [[ -n "${IDP_BIN:-}" ]]; then
  idp=("$IDP_BIN")
else
  cargo build --quiet -p idp-cli
  idp=("${CARGO_TARGET_DIR:-target}/debug/idp")
fi
state=$(mktemp -d)
export IDP_STATE_DIR="$state"
trap '"${idp[@]}" destroy demo --yes >/dev/null 2>&1 || true; rm -rf "$state"' EXIT

run() { printf '\n$ idp %s\n' "$*"; "${idp[@]}" "$@"; }

run create --name demo --config examples/app/.idp/config.yml --ttl 2h --yes
endpoint=$("${idp[@]}" status demo --output json | python3 -c 'import json,sys; print(json.load(sys.stdin)["environment"]["endpoint"])')
printf '\n$ GET %s\n' "$endpoint"
python3 -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' "$endpoint"
run list
run extend demo --ttl 1d
run logs demo --since 10m
run destroy demo --yes
run list --all
