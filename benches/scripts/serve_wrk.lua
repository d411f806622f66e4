-- wrk script of benches/serve.sh: an optional fixed POST body, and one JSON summary line.
--
--   SERVE_BODY_FILE=body.json wrk -s serve_wrk.lua -H 'X-GitHub-Event: ping' ... URL
--
-- With SERVE_BODY_FILE set (and not empty) every request is a POST of that file's bytes with
-- `Content-Type: application/json`; otherwise a GET. The headers come from wrk's `-H`. No
-- request() or response() function is defined, so wrk keeps its static request and does not parse
-- responses in Lua (non-2xx/3xx answers are counted in `errors.status`, every status by the
-- server's own /metrics). done() prints one line on stdout:
--   SERVE_WRK {"requests":…,"duration_us":…,"p50_us":…,"p99_us":…,…}

local body_file = os.getenv("SERVE_BODY_FILE")
if body_file and body_file ~= "" then
  local f = assert(io.open(body_file, "rb"))
  wrk.method = "POST"
  wrk.body = f:read("*a")
  f:close()
  wrk.headers["Content-Type"] = "application/json"
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'SERVE_WRK {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
    '"min_us":%d,"mean_us":%.1f,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max))
end
