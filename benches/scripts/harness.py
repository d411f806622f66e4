"""Whole-process comparisons of idp against the seed's way of doing the same work.

Called by benches/run.sh, which prepares the tools, the moto server and the binaries and passes
them in the environment. Every figure is the median of RUNS runs after one warm-up, with min and
max; every comparison runs the two commands alternately and prints the median of the per-pair
ratios (peer time / idp time) with PASS/FAIL against the target.
"""
import json
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


def run_capture(cmd, env):
    """One run, timed, with its stdout kept (to count the rows it printed)."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr.decode()[-2000:]}")
    return elapsed, proc.stdout.decode()


def json_rows(stdout):
    return len(json.loads(stdout))


def line_rows(stdout):
    return sum(1 for l in stdout.splitlines() if l.strip())


def compare_rounds(title, subjects, ours, runs=RUNS, shown="environments shown"):
    """Every subject once per round, in order, after one warm-up round; ratios pair by pair.

    subjects: [(label, cmd, env, scale, note, before, count)]: `before` (or None) runs untimed
    before each of the subject's runs (e.g. deleting the index, for a cold run); `count` (or None)
    turns the warm-up run's stdout into the number of environments it showed.
    ours: the labels the others are compared with (peer time / ours). Returns {label: rows}.
    """
    out(f"\n#### {title}\n")
    rows = {}
    for label, cmd, env, _scale, _note, before, count in subjects:
        if before:
            before()
        _, stdout = run_capture(cmd, env)
        if count:
            rows[label] = count(stdout)
    times = {s[0]: [] for s in subjects}
    for _ in range(runs):
        for label, cmd, env, scale, _note, before, _count in subjects:
            if before:
                before()
            times[label].append(timed(cmd, env) * scale)
    out(f"| command | median | min | max | runs | {shown} | note |")
    out("|---|---|---|---|---|---|---|")
    for label, _cmd, _env, _scale, note, _before, _count in subjects:
        med, lo, hi = stats(times[label])
        shown = f"{rows[label]:,}" if label in rows else "–"
        out(f"| {label} | {fmt(med)} | {fmt(lo)} | {fmt(hi)} | {runs} | {shown} | {note} |")
    out("")
    out("| comparison | median ratio (pair by pair) | min | max |")
    out("|---|---|---|---|")
    for mine in ours:
        for label, *_ in subjects:
            if label in ours:
                continue
            ratios = [t / m for t, m in zip(times[label], times[mine])]
            med, lo, hi = stats(ratios)
            out(f"| {label} / {mine} | {med:.1f}× | {lo:.1f}× | {hi:.1f}× |")
    return rows


def original_cli_env(base, bucket, config_home):
    """The original CLI reads its bucket from its `conf` store (`mini-idp-nodejs/config.json` under
    XDG_CONFIG_HOME) and refuses every command but `auth`/`templates` unless a GitHub token and
    owner are set: `list` never calls GitHub, so placeholders do. Its S3 client is
    `new S3Client({ region })`: the SDK takes the endpoint from AWS_ENDPOINT_URL (set by run.sh)
    and addresses an IP-literal endpoint path-style by itself."""
    os.makedirs(f"{config_home}/mini-idp-nodejs", exist_ok=True)
    with open(f"{config_home}/mini-idp-nodejs/config.json", "w") as f:
        json.dump({"github": {"token": "placeholder-list-makes-no-github-call", "owner": "bench", "repo": "mini-idp"},
                   "aws": {"region": E.get("AWS_REGION", "us-east-1"), "stateBucket": bucket,
                           "lockTable": "mini-idp-terraform-locks", "ecrRepo": "mini-idp-preview"}}, f)
    env = dict(base)
    env.update(XDG_CONFIG_HOME=config_home, NO_COLOR="1")
    return env


def legacy_benches(n, sample_shell, runs):
    """A bucket as the original platform leaves it (`seed.py --layout original`: four objects per
    environment, string-valued metadata, no index): `idp list -o json` cold (the first list builds
    the index) and warm, against the shell loop, the 32-thread boto3 client and, when ORIGINAL_CLI
    points at its built entry point, the original CLI's `list --json`; then `idp sweep --dry-run`."""
    import boto3

    s3 = boto3.client("s3")
    bucket = f"legacy-{n}-{int(time.time())}"
    env = aws_env(bucket)
    index_key = "environments/_index.json"
    out(f"\n### Legacy installation: {n:,} original records (bucket `{bucket}`)\n")
    t = time.perf_counter()
    subprocess.run([PY, f"{SCRIPTS}/seed.py", bucket, str(n), "--layout", "original"], check=True, env=env)
    seeded = time.perf_counter() - t

    def keys():
        return [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
                for o in page.get("Contents", [])]

    seeded_keys = set(keys())
    out(f"Seeded {n:,} environments in the original layout ({len(seeded_keys):,} objects: metadata.json, "
        f"outputs.json, tfvars.json, terraform.tfstate each) with 32 boto3 threads in {fmt(seeded)}; "
        f"no index.\n")

    list_cmd = [IDP, "list", "-o", "json"]
    first, stdout = run_capture(list_cmd, env)
    listed = json.loads(stdout)
    legacy_rows = sum(1 for r in listed if isinstance(r.get("legacy"), dict) and r["legacy"].get("schema") == 0)
    written = sorted(set(keys()) - seeded_keys)
    out(f"First `idp list -o json` after seeding (cold: no index): **{fmt(first)}**, {len(listed):,} rows "
        f"({legacy_rows:,} marked legacy, schema 0); it wrote {', '.join(f'`{k}`' for k in written) or 'nothing'}.\n")
    ok = len(listed) == n and legacy_rows == n
    out(f"idp shows every environment ({len(listed):,} of {n:,}): {'PASS' if ok else 'FAIL'}\n")

    def drop_index():
        s3.delete_object(Bucket=bucket, Key=index_key)

    drop_index()
    reqs_cold = moto_requests(list_cmd, env)
    reqs_warm = moto_requests(list_cmd, env)
    if reqs_cold is not None:
        out(f"Requests to moto: cold `idp list` **{reqs_cold}**, warm **{reqs_warm}**.\n")

    sh_note = f"first {sample_shell} environments read, scaled ×{n / sample_shell:g}"
    subjects = [
        ("idp list (cold: no index)", list_cmd, env, 1, "index deleted before each run", drop_index, json_rows),
        ("idp list (warm)", list_cmd, env, 1, "index written by the cold run", None, json_rows),
        ("shell loop (aws s3 cp + jq)", ["bash", f"{SCRIPTS}/shell-list.sh", bucket, "list", str(sample_shell)],
         env, n / sample_shell, sh_note, None, None),
        ("32-thread boto3 GetObject", [PY, f"{SCRIPTS}/peers.py", bucket, "concurrent", "list", "32"], env, 1,
         "the server's ceiling", None, json_rows),
    ]
    original = E.get("ORIGINAL_CLI")
    config_home = tempfile.mkdtemp(prefix="original-cli-config-")
    if original:
        subjects.append(("original CLI `list --json`", ["node", original, "list", "--json"],
                         original_cli_env(env, bucket, config_home), 1,
                         "one unpaged ListObjectsV2: the first 1,000 keys", None, json_rows))
    rows = compare_rounds(f"`idp list -o json` over {n:,} original records", subjects,
                          ["idp list (cold: no index)", "idp list (warm)"], runs)
    out("")
    for label, count in rows.items():
        out(f"- {label} shows **{count:,}** environments")
    if original and "original CLI `list --json`" in rows:
        shown = rows["original CLI `list --json`"]
        out(f"\nThe original CLI shows {shown:,} of {n:,} ({shown / n:.0%}); idp shows "
            f"{rows['idp list (cold: no index)']:,} cold and {rows['idp list (warm)']:,} warm.")
    elif not original:
        out("\n(ORIGINAL_CLI not set: the original CLI was not run.)")

    # The sweep: the index the warm runs used is in place; `--dry-run` writes nothing.
    _, stdout = run_capture([PY, f"{SCRIPTS}/peers.py", bucket, "concurrent", "sweep", "32"], env)
    expected = {tuple(l.split()) for l in stdout.splitlines() if l.strip()}
    sweep_cmd = [IDP, "sweep", "--dry-run", "-o", "json"]
    _, stdout = run_capture(sweep_cmd, env)
    doc = json.loads(stdout)
    found = {(a["name"], a["reason"]) for a in doc.get("actions", [])}
    by = lambda xs, r: sum(1 for x in xs if x[1] == r)
    sweep_subjects = [
        ("idp sweep --dry-run -o json", sweep_cmd, env, 1, "with the index", None,
         lambda o: len(json.loads(o)["actions"])),
        ("shell loop (aws s3 cp + jq)", ["bash", f"{SCRIPTS}/shell-list.sh", bucket, "sweep", str(sample_shell)],
         env, n / sample_shell, sh_note, None, None),
        ("32-thread boto3 GetObject", [PY, f"{SCRIPTS}/peers.py", bucket, "concurrent", "sweep", "32"], env, 1,
         "the server's ceiling", None, line_rows),
    ]
    compare_rounds(f"`idp sweep --dry-run -o json` over {n:,} original records", sweep_subjects,
                   ["idp sweep --dry-run -o json"], runs, shown="environments acted on")
    # The seed's mix (by index modulo 20) holds both kinds from N = 20 on.
    ok = found == expected and (n < 20 or (by(found, "expired") > 0 and by(found, "stuck_destroying") > 0))
    out(f"\n`idp sweep --dry-run` would act on {len(found):,} environments: {by(found, 'expired'):,} expired, "
        f"{by(found, 'stuck_destroying'):,} stuck destroying (examined {doc.get('examined', '?')}, {doc.get('legacy', '?')} of them legacy, "
        f"{len(doc.get('unreadable', [])):,} unreadable); every record read by boto3 gives "
        f"{by(expected, 'expired'):,} expired and {by(expected, 'stuck_destroying'):,} stuck: "
        f"{'PASS' if ok else 'FAIL'}")
    if not ok:
        out(f"  only idp: {sorted(found - expected)[:10]}; only boto3: {sorted(expected - found)[:10]}")
        if SMOKE:
            sys.exit("legacy sweep: idp's actions differ from the records")
    after = set(keys()) - seeded_keys
    out(f"\nObjects written by the whole section besides the seed: {', '.join(f'`{k}`' for k in sorted(after)) or 'none'}.")


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
        legacy_benches(20, 1, 1)  # one run after the warm-up: the shell loop is the slow part
        return
    for n in [int(x) for x in E.get("NS", "1000 10000").split()]:
        state_benches(n, int(E.get("SHELL_SAMPLE", "20")), min(n, int(E.get("SEQ_SAMPLE", "1000"))),
                      int(E.get("RUNS_10K", "5")))
    legacy_n = int(E.get("LEGACY_N", "1000"))
    if legacy_n:
        legacy_benches(legacy_n, min(legacy_n, int(E.get("SHELL_SAMPLE", "20"))), RUNS)


main()
