"""`make paper`: every chapter at scale="paper"; its claims, stored with the run's provenance.

    python tools/paper.py [--seed 0] [--device cpu] [--workers 2] [notebooks/NN_slug.ipynb ...]

Each chapter is executed with papermill (`scale="paper"`, the given seed and device; executed
copies in _build/paper/) and its claims are written, with the CPU and wall seconds of the run,
the hash of the chapter's inputs and the provenance (commit, date, CPU, versions), to
book/data/paper.json, which the reproducibility report shows beside the ci values (marked
stale once a chapter's code changes). Running named chapters updates only their entries.
A chapter whose ci notebook prints the stored paper-scale run (it reads paper.json) is executed
again afterwards, so that its stored outputs, which nbval checks, show the run just stored.
Exit 1 if a chapter fails or a claim does not hold.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from concurrent.futures import ProcessPoolExecutor, as_completed

import jupytext
import nbformat

from execute import main as execute_again, prepare
from nbtools import NOTEBOOKS, ROOT, claims_of, execute, provenance

OUT = ROOT / "book" / "data" / "paper.json"


def reads_paper_json(nb: Path) -> bool:
    """Whether a chapter's code (not its prose) reads the stored paper runs."""
    return any(c.cell_type == "code" and "paper.json" in c.source for c in jupytext.read(nb.with_suffix(".md")).cells)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("notebooks", nargs="*")
    args = parser.parse_args(argv)
    chapters = [Path(p).resolve() for p in args.notebooks] or NOTEBOOKS
    folder = ROOT / "_build" / "paper"
    folder.mkdir(parents=True, exist_ok=True)
    jobs = [(nb, folder / nb.name, {"seed": args.seed, "scale": "paper", "device": args.device}) for nb in chapters]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    meta = {"seed": args.seed, "device": args.device, "workers": args.workers, "provenance": provenance()}
    failures = 0
    with ProcessPoolExecutor(max_workers=args.workers) as pool:   # each chapter is stored as soon as it ends
        # inputs from the .md twin (what the inputs hash records), as `make notebooks` does; no cell time limit
        (folder / "inputs").mkdir(exist_ok=True)
        futures = {pool.submit(execute, *job, timeout=None, source=prepare(job[0], folder / "inputs")): job
                   for job in jobs}
        for future in as_completed(futures):
            nb, out, _ = futures[future]
            _, seconds, error = future.result()
            claims = claims_of(out) if out.exists() else []
            run = nbformat.read(str(out), as_version=4).metadata.get("linearity", {}).get("run", {}) if out.exists() else {}
            held = sum(c["passed"] for c in claims)
            failures += error is not None or held < len(claims)
            print(f"{nb.stem:<34} {run.get('cpu_seconds', float('nan')):7.1f} CPU s {seconds:7.1f} s wall  "
                  f"{held} of {len(claims)} claims hold" + (f"  FAILED: {error}" if error else ""), flush=True)
            entry = {"inputs": run.get("inputs"), "cpu_seconds": run.get("cpu_seconds"),
                     "wall_seconds": round(seconds, 1), "error": error,
                     "commit": meta["provenance"]["commit"], "dirty": meta["provenance"].get("dirty", False),
                     "date": meta["provenance"]["date"],
                     "claims": [{"name": c["name"], "value": c["value"], "passed": c["passed"]} for c in claims]}
            # read again before writing: another `make paper` of other chapters may have stored since
            stored = json.loads(args.out.read_text()) if args.out.exists() else {"chapters": {}}
            stored |= meta
            stored["chapters"][nb.stem] = entry
            args.out.write_text(json.dumps(stored, indent=1, ensure_ascii=False) + "\n")
    readers = [nb for nb in chapters if args.out == OUT and reads_paper_json(nb)]
    if readers:
        print("executing again the chapters that show their stored paper run: " + ", ".join(nb.stem for nb in readers))
        failures += execute_again([str(nb) for nb in readers])
    print(f"paper: {len(jobs) - failures} of {len(jobs)} chapters ran with every claim holding -> {args.out}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
