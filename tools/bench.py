"""`make bench`: time every chapter and the book build; print a table, write _build/bench.json.

    python tools/bench.py [--runs 1] [--scales ci]      # the default: about 10 minutes
    python tools/bench.py --scales ci,paper             # also every chapter at paper scale (long)

Measures, on this machine with the existing .venv: each notebook's wall and CPU seconds
(user + system, the kernel included) under papermill at each scale (median of `--runs`), cold
`make book` (no _build, no execution cache), warm `make book` (nothing changed), the nbval
stage, the speed-up of the linear-networks chapter's vectorised training over its
one-trial-at-a-time reference loop (`tools/bench_chains.py`, both measured in this run), and
those of the package's training speed-ups over what they replaced (`tools/bench_training.py`). Where
paper scale is not run, the CPU seconds of the stored `make paper` run (book/data/paper.json)
are printed beside the ci ones, marked stale when the chapter's code changed since.
"""

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from nbtools import NOTEBOOKS, ROOT, execute, inputs_hash

BIN = ROOT / ".venv" / "bin"


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--scales", default="ci")
    args = parser.parse_args()
    result = {"notebooks": {}, "runs": args.runs}
    with tempfile.TemporaryDirectory() as tmp:
        for nb in NOTEBOOKS:
            for scale in args.scales.split(","):
                times, cpus = [], []
                for _ in range(args.runs):
                    out = Path(tmp) / nb.name
                    _, seconds, error = execute(nb, out, {"scale": scale})
                    if error:
                        print(f"{nb.stem} at scale={scale} failed: {error}")
                        return 1
                    times.append(seconds)
                    cpus.append(nbformat.read(str(out), as_version=4).metadata["linearity"]["run"]["cpu_seconds"])
                result["notebooks"].setdefault(nb.stem, {})[scale] = statistics.median(times)
                result["notebooks"][nb.stem][scale + "_cpu"] = statistics.median(cpus)
                print(f"{nb.stem:<34} {scale:<6} {statistics.median(times):7.1f} s wall {statistics.median(cpus):7.1f} "
                      f"CPU s (median of {args.runs})", flush=True)
    for path in ("_build/html", "_build/.doctrees", "_build/.jupyter_cache", "_build/jupyter_execute"):
        shutil.rmtree(ROOT / path, ignore_errors=True)
    result["make_book_cold"] = timed(["make", "--no-print-directory", "book"])
    result["make_book_warm"] = timed(["make", "--no-print-directory", "book"])
    result["nbval"] = timed([str(BIN / "python"), "-m", "pytest", "-q", "-n", "2", "--dist", "loadscope", "--nbval", "notebooks"])
    from bench_chains import benchmark
    from bench_training import benchmark as benchmark_training

    result["chains"] = benchmark()
    result["training"] = benchmark_training()
    total_ci = sum(v.get("ci", 0.0) for v in result["notebooks"].values())  # wall seconds
    result["all_notebooks_ci"] = total_ci

    paper = ROOT / "book" / "data" / "paper.json"
    stored = json.loads(paper.read_text())["chapters"] if paper.exists() else {}
    print(f"\n{'chapter':<34} {'ci wall s':>9} {'ci CPU s':>9} {'paper CPU s':>12}  budget: ci ≤ 60 s wall, paper ≤ 180 CPU s")
    for nb in NOTEBOOKS:
        t = result["notebooks"].get(nb.stem, {})
        if "paper_cpu" in t:
            big = f"{t['paper_cpu']:12.1f}"
        elif nb.stem in stored and stored[nb.stem].get("cpu_seconds") is not None:
            old = "" if stored[nb.stem].get("inputs") == inputs_hash(nb) else " (stale)"
            big = f"{stored[nb.stem]['cpu_seconds']:12.1f}{old} stored"
        else:
            big = f"{'—':>12}"
        print(f"{nb.stem:<34} {t.get('ci', float('nan')):9.1f} {t.get('ci_cpu', float('nan')):9.1f} {big}")
    print(f"\n{'what':<44} {'seconds':>9}  budget")
    print(f"{'all notebooks (ci)':<44} {total_ci:9.1f}  ≤ 240")
    print(f"{'make book, cold':<44} {result['make_book_cold']:9.1f}  ≤ 300")
    print(f"{'make book, warm':<44} {result['make_book_warm']:9.1f}  ≤ 30")
    print(f"{'nbval stage':<44} {result['nbval']:9.1f}")
    t = result["training"]
    print(f"{'width-256 ReLU step: torch.where, relu (s)':<44} {t['relu_where_s_per_step']:9.3g} "
          f"{t['relu_s_per_step']:9.3g}  speed-up {t['relu_speedup']:.2f}")
    print(f"{'chapter 5 paper sweep step: whole, chunked (s)':<44} {t['sweep_whole_s_per_step']:9.3g} "
          f"{t['sweep_chunked_s_per_step']:9.3g}  speed-up {t['sweep_speedup']:.2f}")
    if result["chains"]:
        for key, value in result["chains"].items():
            print(f"{'chains: ' + key:<44} {value if isinstance(value, str) else f'{value:9.3g}'}")
    out = ROOT / "_build" / "bench.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"\nwritten to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
