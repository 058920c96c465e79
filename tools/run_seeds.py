"""Re-run every chapter under papermill with other seeds; every claim must hold.

    python tools/run_seeds.py 1          # `make test`: one extra seed
    python tools/run_seeds.py 0 1 2 3 4  # `make seeds`: a claim × seed table
    python tools/run_seeds.py 5 6 notebooks/04_low_rank.ipynb   # one chapter only

Executed copies go to _build/seeds/; the original notebooks are not touched. A run of every
chapter at several seeds (`make seeds`) also writes book/data/seeds.json, the claim × seed table
that the reproducibility report shows; a run of some chapters at that table's seeds replaces their rows.
"""

import json
import sys

from nbtools import NOTEBOOKS, ROOT, claims_of, execute_many, inputs_hash, provenance

from pathlib import Path

args = sys.argv[1:]
if any(a.startswith("-") and not a.lstrip("-").isdigit() for a in args):   # --help, or an unknown option
    print(__doc__)
    sys.exit(0 if set(args) & {"-h", "--help"} else 2)
chapters = [Path(a).resolve() for a in args if a.endswith(".ipynb")] or NOTEBOOKS
seeds = [int(a) for a in args if a.lstrip("-").isdigit()] or [1]
out_dir = ROOT / "_build" / "seeds"
out_dir.mkdir(parents=True, exist_ok=True)
jobs = [(nb, out_dir / f"{nb.stem}_seed{s}.ipynb", {"seed": s}) for nb in chapters for s in seeds]
failures = 0
rows = []
table = {nb.stem: {"inputs": inputs_hash(nb), "runs": {}} for nb in chapters}
for (nb, out, params), (_, seconds, error) in zip(jobs, execute_many(jobs)):
    status = "ok" if error is None else "FAILED"
    failures += error is not None
    print(f"{nb.stem:<32} seed {params['seed']:<3} {seconds:6.1f} s  {status}" + (f": {error}" if error else ""))
    claims = claims_of(out)
    for c in claims:
        rows.append((nb.stem, c["name"], params["seed"], c["value"], c["expected"], c["passed"]))
    table[nb.stem]["runs"][str(params["seed"])] = {
        "error": error, "claims": [{"name": c["name"], "value": c["value"], "passed": c["passed"]} for c in claims]}
stored_path = ROOT / "book" / "data" / "seeds.json"
stored = json.loads(stored_path.read_text()) if stored_path.exists() else None
if len(seeds) > 1 and (chapters == NOTEBOOKS or (stored and stored["seeds"] == seeds)):
    # every chapter: a new table; some chapters at the table's seeds: their rows are replaced
    merged = (stored["chapters"] if chapters != NOTEBOOKS else {}) | table
    stored_path.parent.mkdir(parents=True, exist_ok=True)
    stored_path.write_text(json.dumps({"seeds": seeds, "scale": "ci", "provenance": provenance(),
                                       "chapters": merged}, indent=1, ensure_ascii=False) + "\n")
if len(seeds) > 1 or "--table" in sys.argv:
    print(f"\n{'chapter':<30} {'claim':<38} {'seed':>4} {'value':>10}  {'expected':<22} holds")
    for chapter, name, seed, value, expected, passed in sorted(rows):
        print(f"{chapter:<30} {name:<38} {seed:>4} {value:>10}  {expected:<22} {'yes' if passed else 'NO'}")
print(f"seeds: {len(jobs) - failures} of {len(jobs)} runs passed (seeds {seeds})")
sys.exit(1 if failures else 0)
