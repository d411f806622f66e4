#!/usr/bin/env bash
# The Python package's tests, as CI runs them:
#   1. the test venv `.tools/py` at the repository root (created once) with the pinned
#      requirements (maturin, pytest, mypy, boto3);
#   2. `maturin develop` (the extension, editable, into that venv);
#   3. pytest over idp-py/tests (any non-zero exit fails, including 5, "no tests collected");
#   4. `mypy --strict` over the tests, against the `.pyi` stubs, and `stubtest`: the stubs
#      against the built module;
#   5. `maturin build` of the abi3 wheel, installed into a FRESH venv that imports it and runs
#      the README's Python examples.
# The AWS tests need IDP_TEST_AWS_ENDPOINT (`eval "$(.ci/moto.sh start)"`); with CI set and no
# endpoint they fail instead of skipping. IDP_PY_RELEASE=1 builds the wheel with --release.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

venv="$root/.tools/py"
if [[ ! -x "$venv/bin/python" ]]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q --disable-pip-version-check -r idp-py/requirements-test.txt
# shellcheck disable=SC1091
source "$venv/bin/activate"

echo "== maturin develop (at ${SECONDS} s)" >&2
(cd idp-py && maturin develop --quiet)

echo "== pytest (at ${SECONDS} s)" >&2
python -m pytest -q idp-py/tests

echo "== mypy --strict (at ${SECONDS} s)" >&2
export MYPY_CACHE_DIR="$root/.tools/mypy-cache"
mypy --strict idp-py/tests
echo "== stubtest (at ${SECONDS} s)" >&2
# stubtest keeps its cache in the current directory: run it where nothing is committed.
(cd "$root/.tools" && python -m mypy.stubtest idp._idp)

echo "== wheel in a fresh venv (at ${SECONDS} s)" >&2
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
profile=()
if [[ "${IDP_PY_RELEASE:-}" == 1 ]]; then profile=(--release); fi
maturin build --quiet "${profile[@]}" -m idp-py/Cargo.toml --out "$scratch/dist"
wheel=("$scratch"/dist/idp-*-cp39-abi3-*.whl)
[[ -f "${wheel[0]}" ]] || { echo "run-tests.sh: no abi3 wheel was built" >&2; exit 1; }
python3 -m venv "$scratch/venv"
"$scratch/venv/bin/pip" install -q --disable-pip-version-check --no-index "${wheel[0]}"
IDP_STATE_DIR="$scratch/state" XDG_DATA_HOME="$scratch/data" "$scratch/venv/bin/python" - <<'PY'
import pathlib, re, idp
blocks = re.findall(r"```python\n(.*?)```", pathlib.Path("README.md").read_text(), flags=re.S)
assert blocks, "README.md has no python examples"
for i, block in enumerate(blocks):
    exec(compile(block, f"README.md:python block {i + 1}", "exec"), {"__name__": "__readme__"})
print(f"run-tests.sh: {pathlib.Path(idp.__file__).parent.name} {idp.__version__} from the wheel ran {len(blocks)} README example(s)")
PY
