"""Whole-process comparisons of idp against the seed's way of doing the same work.

Called by benches/run.sh, which prepares the tools, the moto server and the binaries and passes
them in the environment. Every figure is the median of RUNS runs after one warm-up, with min and
max; every comparison runs the two commands alternately and prints the median of the per-pair
ratios (peer time / idp time) with PASS/FAIL against the target.
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

E = os.environ
IDP, IDP_ACTION, SCRIPTS = E["IDP"], E["IDP_ACTION"], E["SCRIPTS"]
RUNS = int(E.get("RUNS", "5"))
SMOKE = E.get("SMOKE") == "1"
MOTO_LOG = E.get("MOTO_LOG", "")
ROOT = E["ROOT"]
PY = E["BENCH_PY"]
DEVNULL = subprocess.DEVNULL
CONSUMER = f"{ROOT}/examples/consumer"
EVENT = f"{ROOT}/idp-core/tests/fixtures/webhooks/push.feature-branch.json"


def out(line=""):
    print(line, flush=True)


def timed(cmd, env=None, check=True):
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdout=DEVNULL, stderr=subprocess.PIPE, env=env)
    elapsed = time.perf_counter() - start
    if check and proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr.decode()[-2000:]}")
    return elapsed


def fmt(s):
    return f"{s * 1000:.1f} ms" if s < 1 else f"{s:.2f} s"


def stats(xs):
    return statistics.median(xs), min(xs), max(xs)


def figure(label, xs, note=""):
    med, lo, hi = stats(xs)
    out(f"| {label} | {fmt(med)} | {fmt(lo)} | {fmt(hi)} | {len(xs)} | {note} |")
    return med


def compare(title, ours, peers, runs=RUNS):
    """ours: (label, cmd, env). peers: [(label, cmd, env, scale, target_ratio or None, note)].

    scale multiplies a sampled peer's time up to the full N (1 when measured in full).
    target_ratio: PASS when median(peer/ours) >= target (a float), or a callable on the ratio.
    """
    out(f"\n#### {title}\n")
    out("| command | median | min | max | runs | note |")
    out("|---|---|---|---|---|---|")
    label, cmd, env = ours
    timed(cmd, env)
    for p in peers:
        timed(p[1], p[2])
    mine, theirs = [], {p[0]: [] for p in peers}
    for _ in range(runs):
        mine.append(timed(cmd, env))
        for p in peers:
            theirs[p[0]].append(timed(p[1], p[2]) * p[3])
    figure(label, mine)
    for p in peers:
        figure(p[0], theirs[p[0]], p[5])
    out("")
    out("| comparison | median ratio (pair by pair) | min | max | target | result |")
    out("|---|---|---|---|---|---|")
    for p in peers:
        ratios = [t / m for t, m in zip(theirs[p[0]], mine)]
        med, lo, hi = stats(ratios)
        target = p[4]
        if target is None:
            verdict, tdesc = "–", "–"
        else:
            tdesc, ok = target(med)
            verdict = "PASS" if ok else "FAIL"
        out(f"| {p[0]} / {label} | {med:.1f}× | {lo:.1f}× | {hi:.1f}× | {tdesc} | {verdict} |")


def at_least(x):
    return lambda r: (f"≥ {x}×", r >= x)


def within(x):
    return lambda r: (f"idp ≤ {x}× the peer's time", r >= 1 / x)


def moto_requests(cmd, env):
    if not MOTO_LOG or not os.path.exists(MOTO_LOG):
        return None
    before = sum(1 for _ in open(MOTO_LOG, errors="replace"))
    timed(cmd, env)
    time.sleep(0.2)
    lines = open(MOTO_LOG, errors="replace").readlines()[before:]
    return sum(1 for l in lines if '" 200 ' in l or '" 404 ' in l or '" 304 ' in l or '" 412 ' in l)


def peak_rss_kb(cmd, env):
    proc = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, stdout=DEVNULL, stderr=subprocess.PIPE, env=env)
    return int(proc.stderr.decode().strip().splitlines()[-1])


def aws_env(bucket):
    env = dict(E)
    env.update(IDP_STATE_BUCKET=bucket, IDP_BACKEND="aws", IDP_OUTPUT="json")
    return env


def state_benches(n, sample_shell, sample_seq, runs_slow):
    bucket = f"bench-{n}-{int(time.time())}"
    env = aws_env(bucket)
    out(f"\n### N = {n:,} environments (bucket `{bucket}`)\n")
    t = time.perf_counter()
    subprocess.run([PY, f"{SCRIPTS}/seed.py", bucket, str(n)], check=True, env=env)
    seeded = time.perf_counter() - t
    t = time.perf_counter()
    subprocess.run([IDP, "sweep", "--dry-run", "--reindex"], check=True, stdout=DEVNULL, env=env)
    reindexed = time.perf_counter() - t
    out(f"Seeded with 32 boto3 threads in {fmt(seeded)}; `idp sweep --dry-run --reindex` (builds the index from every metadata object) took {fmt(reindexed)}.\n")
    reqs = moto_requests([IDP, "list"], env)
    if reqs is not None:
        out(f"`idp list` made **{reqs} requests** to moto (1 GET of the index + 1 LIST of the write markers; target ≤ 3: {'PASS' if reqs <= 3 else 'FAIL'}).\n")
    reqs = moto_requests([IDP, "sweep", "--dry-run"], env)
    if reqs is not None:
        out(f"`idp sweep --dry-run` made **{reqs} requests** to moto.\n")
    if n == min(int(x) for x in E.get("NS", "1000 10000").split()) or SMOKE:
        setup_bench(f"`idp-action setup` (S3 on moto, {n:,} environments) vs bash + yq + jq setup", env, max(RUNS, 10))
    rss = peak_rss_kb([IDP, "list"], env)
    out(f"\nPeak RSS of `idp list`: **{rss / 1024:.1f} MiB**.\n")
    seq_scale, seq_note = (n / sample_seq, f"first {sample_seq} of {n}, scaled ×{n / sample_seq:g}") if sample_seq < n else (1, "")
    sh_note = f"first {sample_shell} environments, scaled ×{n / sample_shell:g}"
    tasks = E.get("TASKS", "list sweep").split()
    for task, idp_cmd in (("list", [IDP, "list"]), ("sweep", [IDP, "sweep", "--dry-run"])):
        if task not in tasks:
            continue
        peers = [
            ("shell loop (aws s3 cp + jq)", ["bash", f"{SCRIPTS}/shell-list.sh", bucket, task, str(sample_shell)], env,
             n / sample_shell, at_least(50) if n <= 1000 else None, sh_note),
            ("sequential boto3", [PY, f"{SCRIPTS}/peers.py", bucket, "sequential", task, "0", str(sample_seq)], env,
             seq_scale, at_least(5) if n <= 1000 else None, seq_note),
            ("32-thread boto3 GetObject", [PY, f"{SCRIPTS}/peers.py", bucket, "concurrent", task, "32"], env,
             1, within(1.5) if n <= 1000 else at_least(20), "the server's ceiling"),
        ]
        compare(f"`idp {' '.join(idp_cmd[1:])}` at N = {n:,}", (f"idp {' '.join(idp_cmd[1:])}", idp_cmd, env), peers,
                runs=RUNS if n <= 1000 else runs_slow)


def setup_env(base, runner_temp):
    """What a GitHub Actions runner gives a step on a push: the event, and files for outputs."""
    env = dict(base)
    env.update(GITHUB_EVENT_NAME="push", GITHUB_EVENT_PATH=EVENT, GITHUB_OUTPUT=os.devnull,
               GITHUB_STEP_SUMMARY=os.devnull, RUNNER_TEMP=runner_temp)
    return env


def setup_bench(title, base, runs):
    """`idp-action setup` (event parse, config parse + validate, the environment's record read,
    decide, outputs and the tfvars file) against the seed's bash + jq + yq setup step."""
    with tempfile.TemporaryDirectory() as runner_temp:
        env = setup_env(base, runner_temp)
        shell = ["bash", f"{SCRIPTS}/shell-setup.sh", EVENT, f"{CONSUMER}/.idp/config.yml"]
        compare(title,
                ("idp-action setup", [IDP_ACTION, "setup", "--root", CONSUMER], env),
                [("bash + yq + jq setup", shell, env, 1, at_least(20),
                  "jq event, sed/tr sanitize, 5 × yq, decide")],
                runs=runs)


def setup_and_cold_start():
    out("\n### Setup step and cold start\n")
    with tempfile.TemporaryDirectory() as state:
        local = dict(E)
        local.update(IDP_BACKEND="local", IDP_STATE_DIR=state)
        setup_bench("`idp-action setup` (local backend) vs bash + yq + jq setup", local, max(RUNS, 10))
    with tempfile.TemporaryDirectory() as state:
        local = dict(E)
        local.update(IDP_BACKEND="local", IDP_STATE_DIR=state)
        local.pop("IDP_OUTPUT", None)
        out("\n#### CLI cold start\n")
        out("| command | median | min | max | runs | note |")
        out("|---|---|---|---|---|---|")
        runs = 20 if SMOKE else 50
        timed([IDP, "--version"], local)
        v = figure("idp --version", [timed([IDP, "--version"], local) for _ in range(runs)])
        timed([IDP, "list"], local)
        figure("idp list (empty local backend)", [timed([IDP, "list"], local) for _ in range(runs)])
        out(f"\n`idp --version` median ≤ 5 ms: {'PASS' if v <= 0.005 else 'FAIL'}")


def main():
    out(f"## Run of {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}" + (" (smoke)" if SMOKE else ""))
    if E.get("SKIP_SETUP") != "1":
        setup_and_cold_start()
    if SMOKE:
        state_benches(20, 2, 20, RUNS)
        return
    for n in [int(x) for x in E.get("NS", "1000 10000").split()]:
        state_benches(n, int(E.get("SHELL_SAMPLE", "20")), min(n, int(E.get("SEQ_SAMPLE", "1000"))),
                      int(E.get("RUNS_10K", "5")))


main()
