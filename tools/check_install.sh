#!/usr/bin/env bash
# `make check-install`: the front page's steps for running a chapter outside the repository,
# literally: a fresh venv in an empty folder outside the repository, the wheel `make book`
# offers, installed with its [reader] extra, Jupyter answering, one chapter copied there and
# executed with papermill. Exit 1 if any step fails.
set -euo pipefail
cd "$(dirname "$0")/.."
wheel=$(ls book/_generated/wheel/*.whl 2>/dev/null | head -1)
[ -n "$wheel" ] || { echo "check-install: no wheel; run make book (or make book-stored) first"; exit 1; }
chapter=${1:-notebooks/06_linear_nets_vs_regression.ipynb}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cp "$wheel" "$chapter" "$dir/"
cd "$dir"
echo "check-install: in $dir with $(basename "$wheel") and $(basename "$chapter")"
python3.11 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check "$(basename "$wheel")[reader]" 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/python -c "import linearity, myst_nb, papermill" 
.venv/bin/jupyter notebook --version
.venv/bin/papermill --no-progress-bar "$(basename "$chapter")" out.ipynb -p seed 7 2>&1 | grep -v "Kernel is running over TCP" || true
.venv/bin/python - <<'PY'
import json
nb = json.load(open("out.ipynb"))
errors = [o for c in nb["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
claims = [o["data"]["application/json"]["claims"] for c in nb["cells"] for o in c.get("outputs", [])
          if "application/json" in o.get("data", {}) and "claims" in o["data"]["application/json"]]
assert not errors and claims, "the chapter did not run to its claims cell"
print(f"check-install: the chapter ran outside the repository at seed 7; {sum(c['passed'] for c in claims[0])} "
      f"of {len(claims[0])} claims hold")
assert all(c["passed"] for c in claims[0])
PY
