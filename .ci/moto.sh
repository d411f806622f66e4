#!/usr/bin/env bash
# Starts and stops the local AWS double (moto) the AWS adapter tests run against.
#
#   eval "$(.ci/moto.sh start)"   # installs moto into .tools/aws once, starts it on a free port,
#                                 # prints `export IDP_TEST_AWS_ENDPOINT=http://127.0.0.1:PORT`
#   eval "$(.ci/moto.sh start-tls CERT KEY)"
#                                 # a second moto over HTTPS with that certificate (make one with
#                                 # `.ci/terraform.sh`), printing
#                                 # `export IDP_TEST_AWS_TLS_ENDPOINT=https://127.0.0.1:PORT`
#   .ci/moto.sh stop              # stops the servers started by `start` and `start-tls`
#
# Only the export line goes to stdout; every diagnostic goes to stderr.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.tools/aws"
# The plain server's files are target/moto.{pid,port,log}; the TLS one's target/moto-tls.*.
name="moto"
pid_file="$root/target/moto.pid"
log_file="$root/target/moto.log"
port_file="$root/target/moto.port"
use_tls() {
  name="moto-tls"
  pid_file="$root/target/moto-tls.pid"
  log_file="$root/target/moto-tls.log"
  port_file="$root/target/moto-tls.port"
}
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
# With a certificate and key (argv 2 and 3) the server speaks HTTPS only.
ssl_context = (sys.argv[2], sys.argv[3]) if len(sys.argv) > 3 else None
os.environ.setdefault("MOTO_PORT", str(port))
# AWS managed policies (arn:aws:iam::aws:policy/...) exist in every AWS account; moto only knows
# them when told to load them. shared/preview-eks attaches AmazonEKSClusterPolicy and the node
# policies.
os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
app = DomainDispatcherApplication(create_backend_app)
app.debug = True
lock = threading.Lock()

def serialized(environ, start_response):
    with lock:
        # The whole body is produced under the lock, so no state is read after it is released.
        return list(app(environ, start_response))

run_simple("127.0.0.1", port, serialized, threaded=True, request_handler=MotoRequestHandler, ssl_context=ssl_context)
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

# start SCHEME VARIABLE [CERT KEY]
start() {
  local scheme="$1" variable="$2"
  shift 2
  install
  mkdir -p "$root/target"
  if pid="$(running_pid)" && [[ -f "$port_file" ]]; then
    local url="$scheme://127.0.0.1:$(cat "$port_file")"
    log "reusing the running $name (pid $pid) on $url"
    printf 'export %s=%s\n' "$variable" "$url"
    return
  fi
  local port
  port="$(free_port)"
  "$venv/bin/python" -c "$serialized_server" "$port" "$@" >"$log_file" 2>&1 &
  local pid=$!
  printf '%s\n' "$pid" >"$pid_file"
  printf '%s\n' "$port" >"$port_file"
  local url="$scheme://127.0.0.1:$port"
  # Bounded wait: 300 tries of 0.1 s (30 s), failing early if the server died. The readiness
  # probe does not check the certificate (the clients are given its CA; the probe need not be).
  local tries=0
  until "$venv/bin/python" -c 'import ssl, sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1, context=ssl._create_unverified_context())' "$url/moto-api/" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "$name exited during start-up; its log ($log_file):"
      tail -n 20 "$log_file" >&2 || true
      rm -f "$pid_file"
      exit 1
    fi
    tries=$((tries + 1))
    if ((tries >= 300)); then
      log "$name did not answer on $url within 30 s; its log is $log_file"
      kill "$pid" 2>/dev/null || true
      rm -f "$pid_file"
      exit 1
    fi
    sleep 0.1
  done
  log "moto $moto_version is listening on $url (pid $pid, log $log_file)"
  printf 'export %s=%s\n' "$variable" "$url"
}

stop_one() {
  if pid="$(running_pid)"; then
    kill "$pid"
    log "stopped $name (pid $pid)"
  else
    log "$name is not running"
  fi
  rm -f "$pid_file" "$port_file"
}

case "${1:-}" in
  start) start http IDP_TEST_AWS_ENDPOINT ;;
  start-tls)
    if [[ $# -ne 3 || ! -f "$2" || ! -f "$3" ]]; then
      log "usage: .ci/moto.sh start-tls CERT KEY (both files must exist; .ci/terraform.sh makes them)"
      exit 2
    fi
    use_tls
    start https IDP_TEST_AWS_TLS_ENDPOINT "$2" "$3"
    ;;
  stop)
    stop_one
    use_tls
    stop_one
    ;;
  *)
    log "usage: .ci/moto.sh start|start-tls CERT KEY|stop"
    exit 2
    ;;
esac
