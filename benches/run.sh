#!/usr/bin/env bash
# Whole-process benchmarks: idp against the seed's way of doing the same work (a bash loop over
# the AWS CLI with jq, a sequential boto3 script, a 32-thread boto3 client; bash + yq + jq for the
# setup step), on one moto server, in one run, with ratios computed pair by pair.
#
#   bash benches/run.sh            # N = 1,000 and 10,000; about 35 minutes on 2 cores
#   bash benches/run.sh --smoke    # N = 20, 2 runs, debug build: checks the harness still works (CI)
#   NS= SKIP_SETUP=1 bash benches/run.sh   # only the legacy pair (1,000 original records)
#
# Environment: RUNS (default 5), NS ("1000 10000"; "" skips those pairs), SHELL_SAMPLE (20),
# SEQ_SAMPLE (1000), RUNS_10K (5), PROFILE (release; `debug` to measure a debug build), IDP_BIN_DIR
# (a directory holding `idp` and `idp-action` already built: nothing is built), SKIP_SETUP (1 skips
# the setup and cold-start pairs), LEGACY_N (1000; 0 skips the legacy pair), ORIGINAL_CLI (below).
# Not part of the test run.
#
# The legacy pair seeds LEGACY_N environments in the original platform's layout (mini-idp:
# `seed.py --layout original`, four objects per environment, no index) into a fresh bucket and
# times `idp list -o json` cold (the index deleted before each run) and warm, the shell loop, the
# 32-thread boto3 client and, when ORIGINAL_CLI is set, the original CLI's `list --json`; then
# `idp sweep --dry-run -o json`, checked against every record. Nothing of the original is in this
# repository and nothing here fetches or builds it: build it in your own checkout of the original
# repository (github.com/AnerSarid/mini-idp) and point at its entry point,
#
#   cd <your checkout>/cli && npm install && npm run build      # writes cli/dist/index.js
#   ORIGINAL_CLI=<your checkout>/cli/dist/index.js bash benches/run.sh
#
# run.sh then runs `node $ORIGINAL_CLI list --json` against moto with a temporary XDG_CONFIG_HOME
# holding its config (`mini-idp-nodejs/config.json`: the bucket, placeholder GitHub token and
# owner, which its `list` requires but never uses) and AWS_ENDPOINT_URL pointing at moto. Set
# ORIGINAL_COMMIT to the commit it was built from to have it printed with the versions.
# Builds `idp` and `idp-action` in release once.
# Prints Markdown tables (also written to target/bench/results.md).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
venv="$root/.tools/bench"
target="${CARGO_TARGET_DIR:-$root/target}"
log() { printf 'run.sh: %s\n' "$*" >&2; }

smoke=0
if [[ "${1:-}" == "--smoke" ]]; then smoke=1; fi

if [[ ! -x "$venv/bin/aws" || ! -x "$venv/bin/yq" ]]; then
  log "installing awscli, boto3 and yq into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q awscli boto3 yq >&2
fi
command -v jq >/dev/null || { log "jq is missing: apt-get install -y jq"; exit 1; }

# The smoke run only checks that the harness works: it uses a debug build (no release build in CI).
profile="${PROFILE:-release}"
if [[ "$smoke" == 1 ]]; then profile=debug; fi
if [[ -n "${ORIGINAL_CLI:-}" ]]; then
  [[ -f "$ORIGINAL_CLI" ]] || { log "ORIGINAL_CLI=$ORIGINAL_CLI is not a file (the original CLI's built dist/index.js)"; exit 1; }
  command -v node >/dev/null || { log "ORIGINAL_CLI is set but node is missing"; exit 1; }
  ORIGINAL_CLI="$(cd "$(dirname "$ORIGINAL_CLI")" && pwd)/$(basename "$ORIGINAL_CLI")"
  export ORIGINAL_CLI
fi
if [[ -n "${IDP_BIN_DIR:-}" ]]; then
  bin_dir="$IDP_BIN_DIR"
  log "using the binaries in $bin_dir"
else
  log "building idp and idp-action ($profile)"
  if [[ "$profile" == release ]]; then
    cargo build -q --release -p idp-cli -p idp-actions >&2
  else
    cargo build -q -p idp-cli -p idp-actions >&2
  fi
  bin_dir="$target/$profile"
fi

started_moto=0
if [[ -z "${IDP_TEST_AWS_ENDPOINT:-}" ]]; then
  eval "$(.ci/moto.sh start)"
  started_moto=1
fi
cleanup() { if [[ "$started_moto" == 1 ]]; then .ci/moto.sh stop; fi; }
trap cleanup EXIT

mkdir -p "$root/target/bench"
export PATH="$venv/bin:$PATH"
export AWS_ENDPOINT_URL="$IDP_TEST_AWS_ENDPOINT" IDP_ENDPOINT_URL="$IDP_TEST_AWS_ENDPOINT"
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1 \
  AWS_REGION=us-east-1 IDP_REGION=us-east-1 IDP_LOCK_TABLE=bench-locks
export IDP="$bin_dir/idp" IDP_ACTION="$bin_dir/idp-action" \
  SCRIPTS="$root/benches/scripts" ROOT="$root" BENCH_PY="$venv/bin/python" \
  MOTO_LOG="$root/target/moto.log"
if [[ "$smoke" == 1 ]]; then export SMOKE=1 RUNS="${RUNS:-2}"; fi

{
  echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, load $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "Binaries: $IDP ($profile build)."
  if [[ -n "${ORIGINAL_CLI:-}" ]]; then
    echo "Original CLI: node $ORIGINAL_CLI ($(node --version), commit ${ORIGINAL_COMMIT:-not given}, @aws-sdk/client-s3 $(node -p "require('$(dirname "$ORIGINAL_CLI")/../node_modules/@aws-sdk/client-s3/package.json').version" 2>/dev/null || echo '?'))."
  fi
  echo "Versions: $("$IDP" --version), $(rustc --version), $("$venv/bin/aws" --version 2>&1), boto3 $("$venv/bin/python" -c 'import boto3; print(boto3.__version__)'), $(jq --version), yq $("$venv/bin/yq" --version 2>&1 | awk '{print $2}'), moto $("$root/.tools/aws/bin/python" -c 'import moto; print(moto.__version__)')."
  echo
  "$venv/bin/python" "$root/benches/scripts/harness.py"
} | tee "$root/target/bench/results.md"
