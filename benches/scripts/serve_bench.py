"""`idp serve` under load, against the seed's way of listing, in one run.

Called by benches/serve.sh, which prepares the tools, moto and the binaries and passes them in the
environment. Seeds N environments into a fresh bucket (seed.py) and the same records into a local
state directory (serve_seed.py), builds both indexes with `idp sweep --dry-run --reindex`, creates
a viewer token on each backend, starts one `idp serve` per backend and drives them with wrk:

  1. GET /v1/environments?limit=100 and ?limit=1000 on both backends;
  2. POST /v1/webhooks/github signed with HMAC-SHA256 (`ping`, `star`) against the same delivery
     with a wrong signature (401) and with none (401 before any HMAC is computed);
  3. one GET ?limit=1000 on a single connection against one shell listing of the N environments
     (benches/scripts/shell-list.sh: `aws s3 ls` + `aws s3 cp …/metadata.json -` + `jq` per
     environment, on the first SHELL_SAMPLE environments, scaled to N, as run.sh does).

Every measurement runs once as a warm-up, then RUNS rounds run every measurement of a group in
turn; each figure is the median of the rounds with min and max, and each ratio is the median of
the per-round ratios (pair by pair). Every wrk run's answers are counted by status from the
server's own /metrics (`idp_http_requests_total`, read before and after the run), so a 429, a 5xx
or a wrong status shows even when wrk only counts "non-2xx".
"""
import hashlib
import hmac
import json
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

E = os.environ
IDP, SCRIPTS, ROOT, PY = E["IDP"], E["SCRIPTS"], E["ROOT"], E["BENCH_PY"]
ENDPOINT = E["IDP_TEST_AWS_ENDPOINT"]
OUT = E["SERVE_OUT"]
SMOKE = E.get("SMOKE") == "1"
RUNS = int(E.get("RUNS") or (1 if SMOKE else 3))
N = int(E.get("N") or (20 if SMOKE else 1000))
DURATION = int(E.get("DURATION") or (1 if SMOKE else 10))
WARMUP = int(E.get("WARMUP") or (0 if SMOKE else 2))
ONE_CONN = int(E.get("ONE_CONN_DURATION") or (1 if SMOKE else 5))
THREADS = int(E.get("THREADS") or 2)
CONNS = int(E.get("CONNECTIONS") or 16)
SHELL_SAMPLE = min(N, int(E.get("SHELL_SAMPLE") or (2 if SMOKE else 20)))
PIDS = E.get("SERVE_PIDS", "")
MOTO_PID = E.get("MOTO_PID", "")
MOTO_LOG = E.get("MOTO_LOG", "")
LUA = f"{SCRIPTS}/serve_wrk.lua"
SECRET = "serve-bench-webhook-secret"
FIXTURE = f"{ROOT}/idp-core/tests/fixtures/webhooks/push.feature-branch.json"
DELIVERY = "72d3162e-cc78-11e3-81ab-4c9367dc0958"
TICK = os.sysconf("SC_CLK_TCK")
DEVNULL = subprocess.DEVNULL
findings = []


def out(line=""):
    print(line, flush=True)


def note(problem):
    """Something `idp serve` (or the run) did that it should not have; listed at the end."""
    findings.append(problem)
    print(f"serve_bench: {problem}", file=sys.stderr, flush=True)


def fmt_s(s):
    return f"{s * 1000:.1f} ms" if s < 1 else f"{s:.2f} s"


def fmt_us(us):
    ms = us / 1000
    if ms < 10:
        return f"{ms:.2f} ms"
    return f"{ms:.1f} ms" if ms < 1000 else f"{ms / 1000:.2f} s"


def fmt_rps(x):
    return f"{x:,.0f}" if x >= 100 else f"{x:.1f}"


def stats(xs):
    return statistics.median(xs), min(xs), max(xs)


def spread(xs, f):
    med, lo, hi = stats(xs)
    return f"{f(med)} ({f(lo)}–{f(hi)})" if len(xs) > 1 else f(med)


# --- processes --------------------------------------------------------------------------------

def cpu_seconds(pid):
    """utime + stime of a live process, in seconds (None if it cannot be read)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except (OSError, ValueError, IndexError):
        return None


def rss_mib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            status = dict(line.split(":", 1) for line in f if ":" in line)
        return int(status["VmRSS"].split()[0]) / 1024, int(status["VmHWM"].split()[0]) / 1024
    except (OSError, KeyError, ValueError):
        return None


def log_lines(path):
    if not path or not os.path.exists(path):
        return None
    with open(path, errors="replace") as f:
        return sum(1 for _ in f)


def run(cmd, env, what, capture=True):
    proc = subprocess.run(cmd, stdout=subprocess.PIPE if capture else DEVNULL, stderr=subprocess.PIPE,
                          env=env)
    if proc.returncode != 0:
        sys.exit(f"{what} failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr.decode()[-2000:]}")
    return proc.stdout.decode() if capture else ""


class Server:
    """One `idp serve --listen 127.0.0.1:0` with its stderr in OUT/serve-LABEL.log."""

    def __init__(self, label, flags, env, workdir):
        self.label = label
        self.log_path = f"{OUT}/serve-{label}.log"
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [IDP, "serve", "--listen", "127.0.0.1:0", "--rate-limit", "100000000", *flags],
            stdin=DEVNULL, stdout=DEVNULL, stderr=self.log, env=env, cwd=workdir)
        self.pid = self.proc.pid
        if PIDS:
            with open(PIDS, "a") as f:
                f.write(f"{self.pid}\n")
        deadline = time.monotonic() + 120
        self.port = None
        while self.port is None:
            with open(self.log_path, errors="replace") as f:
                m = re.search(r"idp serve: listening on http://127\.0\.0\.1:(\d+) \(backend ([^)]*)\)", f.read())
            if m:
                self.port, self.backend = int(m.group(1)), m.group(2)
            elif self.proc.poll() is not None:
                sys.exit(f"idp serve ({label}) exited with {self.proc.returncode} before listening:\n"
                         + open(self.log_path, errors="replace").read()[-2000:])
            elif time.monotonic() > deadline:
                self.stop()
                sys.exit(f"idp serve ({label}) printed no `listening on` line within 120 s; see {self.log_path}")
            else:
                time.sleep(0.05)
        self.base = f"http://127.0.0.1:{self.port}"

    def stop(self):
        """SIGTERM, then wait; returns the exit code (SIGKILL after 60 s, which is a finding)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                note(f"idp serve ({self.label}) did not stop within 60 s of SIGTERM; killed")
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode


# --- HTTP -------------------------------------------------------------------------------------

def http(method, url, headers=None, body=None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=60) as res:
            return res.status, res.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def scrape(server):
    """`idp_http_requests_total` of a server: {(method, route, status): count}."""
    status, body = http("GET", f"{server.base}/metrics")
    if status != 200:
        note(f"GET /metrics ({server.label}) answered {status}")
        return {}
    counts = {}
    for line in body.decode().splitlines():
        if not line.startswith("idp_http_requests_total{"):
            continue
        labels, value = line[len("idp_http_requests_total{"):].rsplit("} ", 1)
        kv = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', labels))
        counts[(kv.get("method"), kv.get("route"), kv.get("status"))] = int(float(value))
    return counts


def diff(before, after, method, route):
    """Answers of one route between two scrapes, by status; and every 5xx of any route."""
    by_status, fives = {}, {}
    for key, n in after.items():
        d = n - before.get(key, 0)
        if d <= 0:
            continue
        if key[0] == method and key[1] == route:
            by_status[key[2]] = by_status.get(key[2], 0) + d
        if key[2].startswith("5"):
            fives[key] = d
    return by_status, fives


# --- wrk --------------------------------------------------------------------------------------

def wrk(url, headers, body_file=None, threads=THREADS, conns=CONNS, duration=DURATION):
    cmd = ["wrk", "-t", str(threads), "-c", str(conns), "-d", f"{duration}s", "--timeout", "30s", "-s", LUA]
    for h in headers:
        cmd += ["-H", h]
    cmd.append(url)
    env = dict(E, SERVE_BODY_FILE=body_file or "")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    m = re.search(r"^SERVE_WRK (\{.*\})$", proc.stdout, re.M)
    if proc.returncode != 0 or not m:
        sys.exit(f"wrk failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    r = json.loads(m.group(1))
    r["seconds"] = r["duration_us"] / 1e6
    r["rps"] = r["requests"] / r["seconds"] if r["seconds"] else 0.0
    r["wrk_cpu"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return r


class Load:
    """One wrk measurement: a request to a server, expected to be answered with `expect`."""

    def __init__(self, label, server, path, headers, expect, method="GET", route=None, body_file=None,
                 threads=THREADS, conns=CONNS, duration=DURATION, aws=False):
        self.label, self.server, self.path, self.headers = label, server, path, headers
        self.expect, self.method, self.body_file = expect, method, body_file
        self.route = route or path.split("?")[0]
        self.threads, self.conns, self.duration, self.aws = threads, conns, duration, aws
        self.results = []

    def measure(self, duration=None, keep=True):
        before = scrape(self.server)
        cpu0, moto0 = cpu_seconds(self.server.pid), cpu_seconds(MOTO_PID) if MOTO_PID else None
        lines0 = log_lines(MOTO_LOG) if self.aws else None
        r = wrk(self.server.base + self.path, self.headers, self.body_file, self.threads, self.conns,
                duration or self.duration)
        cpu1, moto1 = cpu_seconds(self.server.pid), cpu_seconds(MOTO_PID) if MOTO_PID else None
        lines1 = log_lines(MOTO_LOG) if self.aws else None
        after = scrape(self.server)
        if self.server.proc.poll() is not None:
            sys.exit(f"idp serve ({self.server.label}) died during `{self.label}` "
                     f"(exit {self.server.proc.returncode}); see {self.server.log_path}")
        r["by_status"], fives = diff(before, after, self.method, self.route)
        r["server_cpu"] = (cpu1 - cpu0) if cpu0 is not None and cpu1 is not None else None
        r["moto_cpu"] = (moto1 - moto0) if moto0 is not None and moto1 is not None else None
        r["moto_requests"] = (lines1 - lines0) if lines0 is not None and lines1 is not None else None
        unexpected = {s: n for s, n in r["by_status"].items() if s != str(self.expect)}
        if unexpected:
            note(f"`{self.label}`: answers other than {self.expect}: {unexpected} (of {sum(r['by_status'].values())})")
        if fives:
            note(f"`{self.label}`: 5xx answers: {fives}")
        errs = {k: r[k] for k in ("connect", "read", "write", "timeout") if r[k]}
        if errs:
            note(f"`{self.label}`: wrk socket errors {errs} in {r['requests']} requests")
        if keep:
            self.results.append(r)
        return r


def rounds(loads, warm=True):
    if warm and WARMUP:
        for load in loads:
            load.measure(duration=WARMUP, keep=False)
    for i in range(RUNS):
        for load in loads:
            r = load.measure()
            print(f"serve_bench: round {i + 1}/{RUNS} {load.label}: {r['rps']:.1f} req/s, "
                  f"p50 {fmt_us(r['p50_us'])}, p99 {fmt_us(r['p99_us'])}, wrk {r['requests']}, server {r['by_status']}",
                  file=sys.stderr, flush=True)


def cpu_cell(load):
    parts = []
    for key, who in (("server_cpu", "server"), ("wrk_cpu", "wrk"), ("moto_cpu", "moto")):
        xs = [r[key] / r["seconds"] * 100 for r in load.results if r.get(key) is not None]
        if xs and (key != "moto_cpu" or load.aws):
            parts.append(f"{who} {statistics.median(xs):.0f} %")
    per = [r["server_cpu"] / r["requests"] * 1e6 for r in load.results if r.get("server_cpu") and r["requests"]]
    if per:
        parts.append(f"{statistics.median(per):,.0f} µs server CPU/req")
    return ", ".join(parts)


def statuses_cell(load):
    total = {}
    for r in load.results:
        for s, n in r["by_status"].items():
            total[s] = total.get(s, 0) + n
    counted = sum(r["requests"] for r in load.results)
    return (", ".join(f"{n:,} × {s}" for s, n in sorted(total.items())) or "none") + f" (wrk: {counted:,})"


def table(loads, extra=None):
    """extra: {label: text} for the "answer" column."""
    out("| measurement | answer | req/s median (min–max) | p50 latency | p99 latency | max latency | "
        "answers counted by the server | CPU (% of one core) | runs |")
    out("|---|---|---|---|---|---|---|---|---|")
    for load in loads:
        rs = load.results
        out(f"| {load.label} | {(extra or {}).get(load.label, load.expect)} | "
            f"{spread([r['rps'] for r in rs], fmt_rps)} | {spread([r['p50_us'] for r in rs], fmt_us)} | "
            f"{spread([r['p99_us'] for r in rs], fmt_us)} | {fmt_us(max(r['max_us'] for r in rs))} | "
            f"{statuses_cell(load)} | {cpu_cell(load)} | {len(rs)} |")
    moto = [(load, [r["moto_requests"] / r["requests"] for r in load.results if r.get("moto_requests") is not None and r["requests"]])
            for load in loads if load.aws]
    for load, per in moto:
        if per:
            out(f"\n`{load.label}`: {statistics.median(per):.2f} moto requests per API request (moto's log).")


def ratios(pairs, key="rps"):
    """pairs: [(title, load_a, load_b, what)]: median of per-round a/b of `key`."""
    out("\n| comparison | median ratio (pair by pair) | min | max |")
    out("|---|---|---|---|")
    for title, a, b in pairs:
        xs = [ra[key] / rb[key] for ra, rb in zip(a.results, b.results) if rb[key]]
        if xs:
            med, lo, hi = stats(xs)
            out(f"| {title} | {med:.2f}× | {lo:.2f}× | {hi:.2f}× |")


# --- the run ----------------------------------------------------------------------------------

def expected_rows(n):
    # seed.py: index % 20 == 6 is a `destroyed` tombstone, which a listing leaves out.
    return sum(1 for i in range(n) if i % 20 != 6)


def webhook_bodies(tmp):
    with open(FIXTURE) as f:
        push = json.load(f)
    repo, sender = push["repository"], push["sender"]
    ping = {"zen": "Design for failure.", "hook_id": 109948940,
            "hook": {"type": "Repository", "id": 109948940, "name": "web", "active": True,
                     "events": ["push", "delete", "pull_request"],
                     "config": {"content_type": "json", "insecure_ssl": "0", "url": "https://idp.example.com/v1/webhooks/github"},
                     "updated_at": "2026-11-30T10:00:00Z", "created_at": "2026-11-30T10:00:00Z",
                     "url": "https://api.github.com/repos/Codertocat/Hello-World/hooks/109948940",
                     "test_url": "https://api.github.com/repos/Codertocat/Hello-World/hooks/109948940/test",
                     "ping_url": "https://api.github.com/repos/Codertocat/Hello-World/hooks/109948940/pings",
                     "last_response": {"code": None, "status": "unused", "message": None}},
            "repository": repo, "sender": sender}
    star = {"action": "created", "starred_at": "2026-11-30T10:00:00Z", "repository": repo, "sender": sender}
    files = {}
    for name, doc in (("ping", ping), ("star", star)):
        body = json.dumps(doc).encode()
        path = f"{tmp}/{name}.json"
        with open(path, "wb") as f:
            f.write(body)
        files[name] = (path, body)
    return files


def signature(secret, body):
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def main():
    out(f"## `idp serve`: run of {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}" + (" (smoke)" if SMOKE else ""))
    out(f"\nN = {N:,} environments; wrk {DURATION} s per measurement, {THREADS} threads, {CONNS} connections, "
        f"`--timeout 30s`; {f'one warm-up of {WARMUP} s per measurement' if WARMUP else 'no warm-up'}, "
        f"then {RUNS} round{'s' if RUNS != 1 else ''}; "
        f"`idp serve --rate-limit 100000000`.\n")
    tmp = tempfile.mkdtemp(prefix="serve-bench-")
    state_dir = f"{tmp}/state"
    workdir = f"{tmp}/cwd"
    os.makedirs(workdir)
    bucket = f"serve-{N}-{int(time.time())}"
    aws_env = dict(E, AWS_ENDPOINT_URL=ENDPOINT)
    aws_flags = ["--backend", "aws", "--state-bucket", bucket, "--lock-table", "serve-bench-locks",
                 "--endpoint-url", ENDPOINT, "--region", "us-east-1"]
    local_flags = ["--backend", "local", "--state-dir", state_dir]

    t = time.perf_counter()
    run([PY, f"{SCRIPTS}/seed.py", bucket, str(N)], aws_env, "seed.py", capture=False)
    seeded = time.perf_counter() - t
    t = time.perf_counter()
    run([IDP, "sweep", "--dry-run", "--reindex", *aws_flags], aws_env, "idp sweep --reindex (aws)", capture=False)
    aws_index = time.perf_counter() - t
    t = time.perf_counter()
    run([PY, f"{SCRIPTS}/serve_seed.py", bucket, state_dir], aws_env, "serve_seed.py", capture=False)
    copied = time.perf_counter() - t
    t = time.perf_counter()
    run([IDP, "sweep", "--dry-run", "--reindex", *local_flags], E, "idp sweep --reindex (local)", capture=False)
    local_index = time.perf_counter() - t
    # `sweep --dry-run --reindex` reads every record and writes nothing (index::scan); the first
    # `idp list` writes `environments/_index.json`, which every request then reads.
    listed = {}
    for label, flags, env in (("aws", aws_flags, aws_env), ("local", local_flags, E)):
        t = time.perf_counter()
        rows = json.loads(run([IDP, "list", "-o", "json", *flags], env, f"idp list ({label})"))
        listed[label] = (len(rows), time.perf_counter() - t)
        if len(rows) != expected_rows(N):
            note(f"`idp list` ({label}) shows {len(rows)} environments, expected {expected_rows(N)}")
    index_file = f"{state_dir}/environments/_index.json"
    if not os.path.exists(index_file):
        sys.exit(f"`idp list` (local) wrote no {index_file}")
    import boto3

    head = boto3.client("s3", endpoint_url=ENDPOINT).head_object(Bucket=bucket, Key="environments/_index.json")
    out(f"Bucket `{bucket}` seeded by `seed.py` (32 boto3 threads) in {fmt_s(seeded)}; the same {N:,} "
        f"metadata objects copied into a local state directory by `serve_seed.py` in {fmt_s(copied)}. "
        f"`idp sweep --dry-run --reindex` (reads every record, writes nothing) took {fmt_s(aws_index)} on moto and "
        f"{fmt_s(local_index)} locally; the first `idp list -o json` then wrote `environments/_index.json` "
        f"({head['ContentLength'] / 1024:,.0f} KiB on S3, {os.path.getsize(index_file) / 1024:,.0f} KiB locally) "
        f"in {fmt_s(listed['aws'][1])} and {fmt_s(listed['local'][1])}, {listed['aws'][0]:,} rows each.\n")

    tokens = {}
    for label, flags, env in (("local", local_flags, E), ("aws", aws_flags, aws_env)):
        doc = json.loads(run([IDP, "serve", "token", "create", "--role", "viewer", "--output", "json",
                              "--description", "benches/serve.sh", *flags], env, f"token create ({label})"))
        tokens[label] = doc["token"]

    servers = {}
    try:
        serve_env = dict(E, IDP_WEBHOOK_SECRET=SECRET)
        servers["local"] = Server("local", local_flags, serve_env, workdir)
        servers["aws"] = Server("aws", aws_flags, dict(aws_env, IDP_WEBHOOK_SECRET=SECRET), workdir)
        bench(servers, tokens, tmp, bucket, aws_env)
    finally:
        codes = {label: s.stop() for label, s in servers.items()}
        shutil.rmtree(tmp, ignore_errors=True)
    out("")
    for label, s in servers.items():
        with open(s.log_path, errors="replace") as f:
            text = f.read()
        bad = [l for l in text.splitlines() if re.search(r"\b(ERROR|WARN)\b|panicked", l)]
        stopped = "idp serve: stopped" in text
        out(f"`idp serve` ({label}): SIGTERM → exit {codes[label]}, {'printed `idp serve: stopped`' if stopped else 'no `stopped` line'}; "
            f"its log has {len(text.splitlines()):,} lines, {len(bad)} ERROR/WARN/panic.")
        if codes[label] != 0 or not stopped:
            note(f"idp serve ({label}) exited {codes[label]} after SIGTERM (stopped line: {stopped})")
        for l in bad[:5]:
            note(f"idp serve ({label}) logged: {l[:300]}")
    out("\n#### Findings\n")
    if findings:
        for f in findings:
            out(f"- {f}")
    else:
        out("None: every answer had the expected status, no 5xx, no socket error or timeout, both servers stopped cleanly on SIGTERM.")
    if SMOKE and findings:
        sys.exit("serve_bench: the smoke run found problems (above)")


def bench(servers, tokens, tmp, bucket, aws_env):
    local, aws = servers["local"], servers["aws"]
    auth = {k: f"Authorization: Bearer {v}" for k, v in tokens.items()}
    for s in (local, aws):
        status, body = http("GET", f"{s.base}/readyz")
        if status != 200:
            note(f"GET /readyz ({s.label}) answered {status}: {body[:300]!r}")

    # Probes: one request each, checked, before any load.
    pages = {}
    for s in (local, aws):
        for limit in (100, 1000):
            status, body = http("GET", f"{s.base}/v1/environments?limit={limit}", {"Authorization": f"Bearer {tokens[s.label]}"})
            if status != 200:
                sys.exit(f"GET /v1/environments?limit={limit} ({s.label}) answered {status}: {body[:500]!r}")
            doc = json.loads(body)
            pages[(s.label, limit)] = (len(doc["environments"]), len(body), doc.get("next_cursor"), body)
    want = expected_rows(N)
    for (label, limit), (rows, _size, cursor, _body) in pages.items():
        if rows != min(limit, want) or (cursor is None) != (want <= limit):
            note(f"GET ?limit={limit} ({label}) gave {rows} rows (cursor {cursor!r}); expected {min(limit, want)}")
    if pages[("local", 1000)][3] != pages[("aws", 1000)][3]:
        note("GET ?limit=1000 gives different documents on the local and the aws backend")
    answer = {}
    loads = []
    for s in (local, aws):
        for limit in (100, 1000):
            rows, size, cursor, _ = pages[(s.label, limit)]
            label = f"GET ?limit={limit} ({s.label})"
            answer[label] = f"200: {rows:,} rows, {size / 1024:,.0f} KiB" + (", next_cursor" if cursor else "")
            loads.append(Load(label, s, f"/v1/environments?limit={limit}", [auth[s.label]], 200,
                              route="/v1/environments", aws=s is aws))
    out(f"#### 1. `GET /v1/environments`, {N:,} environments ({want:,} listed: the destroyed ones are left out)\n")
    rounds(loads)
    table(loads, answer)
    l100, l1000, a100, a1000 = loads
    ratios([("req/s: ?limit=100 / ?limit=1000 (local)", l100, l1000),
            ("req/s: ?limit=100 / ?limit=1000 (aws on moto)", a100, a1000),
            ("req/s: local / aws on moto (?limit=100)", l100, a100),
            ("req/s: local / aws on moto (?limit=1000)", l1000, a1000)])
    out("")
    for load in loads:
        tails = [r["p99_us"] / r["p50_us"] for r in load.results if r["p50_us"]]
        if tails:
            out(f"- {load.label}: p99 is {statistics.median(tails):.1f}× p50 (median of the rounds)")

    # 2. Webhooks (on the local server; ping and star touch no store, so the backend is moot).
    files = webhook_bodies(tmp)
    ping_file, ping_body = files["ping"]
    star_file, star_body = files["star"]
    common = ["User-Agent: GitHub-Hookshot/044aadd", f"X-GitHub-Delivery: {DELIVERY}",
              "X-GitHub-Hook-ID: 109948940"]
    wrong = signature("not-the-secret", ping_body)
    hooks = [
        ("ping, signed", ping_file, ping_body, ["X-GitHub-Event: ping", f"X-Hub-Signature-256: {signature(SECRET, ping_body)}"], 200, "pong"),
        ("star, signed", star_file, star_body, ["X-GitHub-Event: star", f"X-Hub-Signature-256: {signature(SECRET, star_body)}"], 200, "ignored"),
        ("ping, wrong signature", ping_file, ping_body, ["X-GitHub-Event: ping", f"X-Hub-Signature-256: {wrong}"], 401, "bad_signature"),
        ("ping, no signature", ping_file, ping_body, ["X-GitHub-Event: ping"], 401, "bad_signature"),
    ]
    hook_loads, hook_answer = [], {}
    for label, path, body, headers, expect, outcome in hooks:
        hdrs = dict(h.split(": ", 1) for h in common + headers)
        hdrs["Content-Type"] = "application/json"
        status, res = http("POST", f"{local.base}/v1/webhooks/github", hdrs, body)
        doc = json.loads(res or b"{}")
        got = doc.get("outcome") or doc.get("kind")
        if status != expect or got != outcome:
            note(f"webhook `{label}` answered {status} {got!r}, expected {expect} {outcome!r}: {res[:300]!r}")
        hook_answer[label] = f"{status} `{got}`, {len(body):,} B body"
        hook_loads.append(Load(label, local, "/v1/webhooks/github", common + headers, expect, method="POST",
                               body_file=path))
    out(f"\n#### 2. `POST /v1/webhooks/github` (local backend server, `IDP_WEBHOOK_SECRET` set)\n")
    rounds(hook_loads)
    table(hook_loads, hook_answer)
    ping, star, bad, none = hook_loads
    ratios([("req/s: ping signed / wrong signature", ping, bad),
            ("req/s: star signed / wrong signature", star, bad),
            ("req/s: wrong signature / no signature (the HMAC of the body)", bad, none),
            ("req/s: ping signed / no signature", ping, none)])
    ratios([("p50: ping signed / wrong signature", ping, bad),
            ("p50: star signed / wrong signature", star, bad)], key="p50_us")

    # 3. One listing: a single-connection GET against the shell loop, pair by pair.
    sh_scale = N / SHELL_SAMPLE
    one = [Load("GET ?limit=1000 (aws on moto), 1 connection", aws, "/v1/environments?limit=1000", [auth["aws"]], 200,
                route="/v1/environments", threads=1, conns=1, duration=ONE_CONN, aws=True),
           Load("GET ?limit=1000 (local), 1 connection", local, "/v1/environments?limit=1000", [auth["local"]], 200,
                route="/v1/environments", threads=1, conns=1, duration=ONE_CONN)]
    shell_cmd = ["bash", f"{SCRIPTS}/shell-list.sh", bucket, "list", str(SHELL_SAMPLE)]
    subprocess.run(shell_cmd, stdout=DEVNULL, stderr=DEVNULL, env=aws_env)  # warm-up
    for load in one:
        if WARMUP:
            load.measure(duration=WARMUP, keep=False)
    shell = []
    for i in range(RUNS):
        for load in one:
            load.measure()
        t = time.perf_counter()
        proc = subprocess.run(shell_cmd, stdout=DEVNULL, stderr=subprocess.PIPE, env=aws_env)
        took = time.perf_counter() - t
        if proc.returncode != 0:
            sys.exit(f"shell-list.sh failed: {proc.stderr.decode()[-2000:]}")
        shell.append(took * sh_scale)
        print(f"serve_bench: round {i + 1}/{RUNS} shell loop {took:.2f} s for {SHELL_SAMPLE} (×{sh_scale:g})", file=sys.stderr, flush=True)
    out(f"\n#### 3. One listing of {N:,} environments: `idp serve` against the seed's shell loop\n")
    out("| command | median | min | max | runs | note |")
    out("|---|---|---|---|---|---|")
    for load in one:
        med, lo, hi = stats([r["p50_us"] for r in load.results])
        reqs = sum(r["requests"] for r in load.results)
        out(f"| {load.label} | {fmt_us(med)} | {fmt_us(lo)} | {fmt_us(hi)} | {len(load.results)} | "
            f"p50 of each {ONE_CONN} s wrk run (-t1 -c1), {reqs:,} requests in all; {statuses_cell(load)} |")
    p50_16 = [r["p50_us"] for r in a1000.results]
    med, lo, hi = stats(p50_16)
    out(f"| GET ?limit=1000 (aws on moto), {CONNS} connections | {fmt_us(med)} | {fmt_us(lo)} | {fmt_us(hi)} | {len(p50_16)} | p50 of section 1's runs (under load) |")
    med, lo, hi = stats(shell)
    out(f"| shell loop (aws s3 ls + aws s3 cp + jq) | {fmt_s(med)} | {fmt_s(lo)} | {fmt_s(hi)} | {len(shell)} | "
        f"first {SHELL_SAMPLE} environments, scaled ×{sh_scale:g} |")
    out("\n| comparison | median ratio | min | max | how |")
    out("|---|---|---|---|---|")
    for load in one:
        xs = [s / (r["p50_us"] / 1e6) for s, r in zip(shell, load.results)]
        med, lo, hi = stats(xs)
        out(f"| shell loop / {load.label} | {med:,.0f}× | {lo:,.0f}× | {hi:,.0f}× | pair by pair (same round) |")
    xs = [statistics.median(shell) / (p / 1e6) for p in p50_16]
    out(f"| shell loop / GET ?limit=1000 (aws on moto), {CONNS} connections | {statistics.median(shell) / (statistics.median(p50_16) / 1e6):,.0f}× | "
        f"{min(xs):,.0f}× | {max(xs):,.0f}× | median shell / each round's p50 |")

    out("")
    for s in (local, aws):
        mem = rss_mib(s.pid)
        cpu = cpu_seconds(s.pid)
        if mem:
            out(f"`idp serve` ({s.label}) after the load: RSS {mem[0]:.1f} MiB, peak {mem[1]:.1f} MiB, "
                f"{cpu:.1f} s of CPU in all.")


main()
