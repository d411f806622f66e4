#!/usr/bin/env bash
# `idp serve` under load, with wrk: GET /v1/environments (?limit=100 and ?limit=1000) over N
# environments on the local backend and on S3 (moto), the GitHub webhook intake (signed `ping` and
# `star` against a wrong and a missing signature), and one listing against the seed's shell loop
# (`benches/scripts/shell-list.sh`), in one run, with ratios computed pair by pair.
#
#   bash benches/serve.sh            # N = 1,000, 3 rounds of 10 s per measurement; about 7 minutes
#   bash benches/serve.sh --smoke    # N = 20, 1 s runs, debug build: checks the harness still works
#
# Environment: RUNS (rounds, default 3), N (1000), DURATION (seconds per wrk run, 10), WARMUP (2),
# THREADS (wrk threads, 2), CONNECTIONS (16), ONE_CONN_DURATION (5: the single-connection runs of
# the shell comparison), SHELL_SAMPLE (20), PROFILE (release; `debug` measures a debug build),
# IDP_BIN_DIR (a directory holding `idp` already built: nothing is built), IDP_TEST_AWS_ENDPOINT (a
# running moto or S3-compatible endpoint; unset: `.ci/moto.sh start`), PRIVATE_MOTO (1: start a
# moto of this run's own, the same serialized server `.ci/moto.sh` runs, on a free port, instead
# of `.ci/moto.sh start`, which reuses a moto already running for someone's tests).
# Not part of the test run.
#
# Installs awscli, boto3 and yq into .tools/bench (as run.sh) and wrk (`apt-get install -y wrk`)
# when missing. Every server, moto and wrk it starts is stopped on exit. Prints Markdown tables
# (also written to $CARGO_TARGET_DIR/bench/serve-results.md, default target/bench/, with the
# servers' logs next to it).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
venv="$root/.tools/bench"
target="${CARGO_TARGET_DIR:-$root/target}"
out_dir="$target/bench"
log() { printf 'serve.sh: %s\n' "$*" >&2; }

smoke=0
if [[ "${1:-}" == "--smoke" ]]; then smoke=1; fi

if [[ ! -x "$venv/bin/aws" || ! -x "$venv/bin/yq" ]]; then
  log "installing awscli, boto3 and yq into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q awscli boto3 yq >&2
fi
command -v jq >/dev/null || { log "jq is missing: apt-get install -y jq"; exit 1; }
if ! command -v wrk >/dev/null; then
  log "installing wrk (apt-get install -y wrk)"
  sudo=()
  if [[ "$(id -u)" != 0 ]]; then sudo=(sudo); fi
  if ! "${sudo[@]}" apt-get install -y wrk >&2; then
    "${sudo[@]}" apt-get update >&2
    "${sudo[@]}" apt-get install -y wrk >&2
  fi
fi

# The smoke run only checks that the harness works: it uses a debug build (no release build in CI).
profile="${PROFILE:-release}"
if [[ "$smoke" == 1 ]]; then profile=debug; fi
if [[ -n "${IDP_BIN_DIR:-}" ]]; then
  bin_dir="$IDP_BIN_DIR"
  profile="as built, from IDP_BIN_DIR"
  log "using the binaries in $bin_dir"
else
  log "building idp ($profile)"
  if [[ "$profile" == release ]]; then
    cargo build -q --release -p idp-cli >&2
  else
    cargo build -q -p idp-cli >&2
  fi
  bin_dir="$target/$profile"
  profile="$profile build"
fi
[[ -x "$bin_dir/idp" ]] || { log "$bin_dir/idp is not an executable"; exit 1; }

mkdir -p "$out_dir"
pids_file="$(mktemp "${TMPDIR:-/tmp}/serve-bench-pids.XXXXXX")"
started_moto=0
private_moto_pid=""
moto_pid=""
moto_log=""
cleanup() {
  # The servers serve_bench.py started (it stops them itself; these are left only if it died).
  local pid
  while read -r pid; do
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
      log "stopping idp serve (pid $pid)"
      kill -TERM "$pid" 2>/dev/null || true
    fi
  done <"$pids_file"
  rm -f "$pids_file"
  if [[ -n "$private_moto_pid" ]] && kill -0 "$private_moto_pid" 2>/dev/null; then
    kill "$private_moto_pid" 2>/dev/null || true
    log "stopped the private moto (pid $private_moto_pid)"
  fi
  if [[ "$started_moto" == 1 ]]; then .ci/moto.sh stop; fi
}
trap cleanup EXIT

if [[ -z "${IDP_TEST_AWS_ENDPOINT:-}" && "${PRIVATE_MOTO:-0}" == 1 ]]; then
  # `.ci/moto.sh`'s own server code (one lock around each request), run on a port of our own.
  if [[ ! -x "$root/.tools/aws/bin/moto_server" ]]; then
    moto_version="$(sed -n 's/^moto_version="\(.*\)"$/\1/p' .ci/moto.sh)"
    log "installing moto[server]==$moto_version into .tools/aws (as .ci/moto.sh does)"
    python3 -m venv "$root/.tools/aws"
    "$root/.tools/aws/bin/pip" install -q "moto[server]==$moto_version" boto3 >&2
  fi
  moto_code="$(sed -n "/^serialized_server='$/,/^'$/p" .ci/moto.sh | sed '1d;$d')"
  [[ -n "$moto_code" ]] || { log "cannot find the serialized server in .ci/moto.sh"; exit 1; }
  port="$("$root/.tools/aws/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
  moto_log="$out_dir/serve-moto.log"
  "$root/.tools/aws/bin/python" -c "$moto_code" "$port" >"$moto_log" 2>&1 &
  private_moto_pid=$!
  moto_pid="$private_moto_pid"
  export IDP_TEST_AWS_ENDPOINT="http://127.0.0.1:$port"
  tries=0
  until "$root/.tools/aws/bin/python" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' "$IDP_TEST_AWS_ENDPOINT/moto-api/" 2>/dev/null; do
    kill -0 "$private_moto_pid" 2>/dev/null || { log "the private moto exited; its log:"; tail -n 20 "$moto_log" >&2; exit 1; }
    tries=$((tries + 1))
    if ((tries >= 300)); then log "the private moto did not answer within 30 s"; exit 1; fi
    sleep 0.1
  done
  log "private moto on $IDP_TEST_AWS_ENDPOINT (pid $private_moto_pid, log $moto_log)"
elif [[ -z "${IDP_TEST_AWS_ENDPOINT:-}" ]]; then
  # Stop it at the end only if this run started it (a running one serves someone else too).
  if [[ -f target/moto.pid ]] && kill -0 "$(cat target/moto.pid)" 2>/dev/null; then
    log "reusing the moto already running (pid $(cat target/moto.pid)); its other clients disturb the figures (PRIVATE_MOTO=1 avoids that)"
  else
    started_moto=1
  fi
  eval "$(.ci/moto.sh start)"
  moto_pid="$(cat target/moto.pid 2>/dev/null || true)"
  moto_log="$root/target/moto.log"
fi

export PATH="$venv/bin:$PATH"
export AWS_ENDPOINT_URL="$IDP_TEST_AWS_ENDPOINT"
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1 \
  AWS_REGION=us-east-1
unset AWS_PROFILE AWS_SESSION_TOKEN IDP_BACKEND IDP_STATE_DIR IDP_STATE_BUCKET IDP_OUTPUT
export IDP="$bin_dir/idp" SCRIPTS="$root/benches/scripts" ROOT="$root" BENCH_PY="$venv/bin/python" \
  SERVE_OUT="$out_dir" SERVE_PIDS="$pids_file" MOTO_PID="$moto_pid" MOTO_LOG="$moto_log" \
  IDP_TEST_AWS_ENDPOINT
if [[ "$smoke" == 1 ]]; then export SMOKE=1; fi

{
  echo "Machine: $(nproc) cores ($(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1)), $(free -g | awk '/Mem:/ {print $2}') GiB, load $(cut -d' ' -f1-3 /proc/loadavg) at the start."
  echo "Binaries: $IDP ($profile)."
  echo "Versions: $("$IDP" --version), $(rustc --version 2>/dev/null || echo 'rustc ?'), $(wrk --version 2>&1 | head -n 1 | awk '{print "wrk", $2}'), $("$venv/bin/aws" --version 2>&1), boto3 $("$venv/bin/python" -c 'import boto3; print(boto3.__version__)'), $(jq --version), moto $("$root/.tools/aws/bin/python" -c 'import moto; print(moto.__version__)' 2>/dev/null || echo '?') on $IDP_TEST_AWS_ENDPOINT."
  echo
  "$venv/bin/python" "$root/benches/scripts/serve_bench.py"
  echo
  echo "Load $(cut -d' ' -f1-3 /proc/loadavg) at the end."
} | tee "$out_dir/serve-results.md"
