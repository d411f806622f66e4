# Sourced by scripts that test a running `idp serve`: start_idp_serve IDP LOG ARGS... starts
# `IDP serve --listen 127.0.0.1:0 ARGS...` in the background with its stderr in LOG, waits (at
# most 30 s) for the address it prints, and sets `server_pid` and `base` (`http://127.0.0.1:N`).
# On failure it prints the log and exits.
start_idp_serve() {
  local idp="$1" log_file="$2"
  shift 2
  "$idp" serve --listen 127.0.0.1:0 "$@" 2> "$log_file" &
  server_pid=$!
  base=""
  for _ in $(seq 1 300); do
    base="$(sed -n 's/.*listening on \(http:\/\/[0-9.:]*\).*/\1/p' "$log_file" | head -1)"
    [ -n "$base" ] && return 0
    kill -0 "$server_pid" 2>/dev/null || { cat "$log_file" >&2; exit 1; }
    sleep 0.1
  done
  echo "idp serve did not start within 30 s" >&2
  cat "$log_file" >&2
  exit 1
}
