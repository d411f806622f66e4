#!/usr/bin/env bash
# Starts and stops the local AWS double (moto) the AWS adapter tests run against.
#
#   eval "$(.ci/moto.sh start)"   # installs moto into .tools/aws once, starts it on a free port,
#                                 # prints `export IDP_TEST_AWS_ENDPOINT=http://127.0.0.1:PORT`
#   .ci/moto.sh stop              # stops the server started by `start`
#
# Only the export line goes to stdout; every diagnostic goes to stderr.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.tools/aws"
pid_file="$root/target/moto.pid"
log_file="$root/target/moto.log"
moto_version="5.2.5"

log() { printf 'moto.sh: %s\n' "$*" >&2; }

# `moto_server`, except that requests are handled one at a time. moto checks S3 `If-None-Match`
# and DynamoDB condition expressions and then writes, with no lock in between, on a threaded
# server: two concurrent conditional writes can both succeed (measured: 2 runs in 50 of the race
# tests had two winners). AWS applies each conditional write atomically; one global lock around
# the application gives moto the same guarantee. Connections are still accepted by many threads.
serialized_server='
import os, sys, threading
from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app

port = int(sys.argv[1])
os.environ.setdefault("MOTO_PORT", str(port))
app = DomainDispatcherApplication(create_backend_app)
app.debug = True
lock = threading.Lock()

def serialized(environ, start_response):
    with lock:
        # The whole body is produced under the lock, so no state is read after it is released.
        return list(app(environ, start_response))

run_simple("127.0.0.1", port, serialized, threaded=True, request_handler=MotoRequestHandler)
'

install() {
  if [[ -x "$venv/bin/moto_server" ]]; then
    return
  fi
  log "installing moto[server]==$moto_version into $venv (about 35 s, once)"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "moto[server]==$moto_version" boto3 >&2
}

free_port() {
  "$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

running_pid() {
  if [[ -f "$pid_file" ]]; then
    local pid
    pid="$(cat "$pid_file")"
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
      printf '%s\n' "$pid"
      return 0
    fi
  fi
  return 1
}

start() {
  install
  mkdir -p "$root/target"
  if pid="$(running_pid)" && [[ -f "$root/target/moto.port" ]]; then
    local url="http://127.0.0.1:$(cat "$root/target/moto.port")"
    log "reusing the running moto (pid $pid) on $url"
    printf 'export IDP_TEST_AWS_ENDPOINT=%s\n' "$url"
    return
  fi
  local port
  port="$(free_port)"
  "$venv/bin/python" -c "$serialized_server" "$port" >"$log_file" 2>&1 &
  local pid=$!
  printf '%s\n' "$pid" >"$pid_file"
  printf '%s\n' "$port" >"$root/target/moto.port"
  local url="http://127.0.0.1:$port"
  # Bounded wait: 300 tries of 0.1 s (30 s), failing early if the server died.
  local tries=0
  until "$venv/bin/python" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' "$url/moto-api/" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "moto exited during start-up; its log ($log_file):"
      tail -n 20 "$log_file" >&2 || true
      rm -f "$pid_file"
      exit 1
    fi
    tries=$((tries + 1))
    if ((tries >= 300)); then
      log "moto did not answer on $url within 30 s; its log is $log_file"
      kill "$pid" 2>/dev/null || true
      rm -f "$pid_file"
      exit 1
    fi
    sleep 0.1
  done
  log "moto $moto_version is listening on $url (pid $pid, log $log_file)"
  printf 'export IDP_TEST_AWS_ENDPOINT=%s\n' "$url"
}

stop() {
  if pid="$(running_pid)"; then
    kill "$pid"
    log "stopped moto (pid $pid)"
  else
    log "moto is not running"
  fi
  rm -f "$pid_file" "$root/target/moto.port"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *)
    log "usage: .ci/moto.sh start|stop"
    exit 2
    ;;
esac
