"""Chapter 6's noise claim, calibrated over many independent draws (the chapter cites the result).

    python tools/calibrate_ch06_noise.py [--trials 50] [--draws 120]

`lnn_noise_insensitivity` compares the depth-1..10 chains trained on the same data and initialisation
at noise 0.05 and 0.5: mean |ΔD| over the run's own least-squares slope shift. This runs that
comparison on `draws` independent problems (seeds 5000, 5001, ..., not the book's), with the
chapter's functions, and stores the largest and mean ratio, the smallest ratio of the null at
initialisation, and how many draws would fail a bound of 1 or 2, with the run's provenance, in
book/data/ch06_noise_calibration.json.
"""

import argparse
import json
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import torch

from nbtools import ROOT, provenance

from linearity import ch06_linear_nets_vs_regression as ch

OUT = ROOT / "book" / "data" / "ch06_noise_calibration.json"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--draws", type=int, default=120)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    depths, start, ratios, nulls = np.arange(1, 11), time.process_time(), [], []
    for s in range(args.draws):
        rng = np.random.default_rng(5000 + s)
        data = ch.paper_data(args.trials, (0.05, 0.5), rng=rng)
        moments = ch.Moments.of(data.x, data.y)
        a, c = moments.ols()
        w0, b0 = ch.grid_init((args.trials,), depths, rng)
        w0, b0 = (np.broadcast_to(v, (2,) + v.shape) for v in (w0, b0))
        run = ch.train_chains(w0, b0, moments[..., None], depth=depths, lr=1e-3, steps=10_000, record_every=10_000)
        d = ch.deviation(run.p, run.c, a[..., None], c[..., None])
        shift = np.abs(a[0] - a[-1]).mean()
        ratios.append(np.abs(d[-1, 0] - d[-1, -1]).mean() / shift)     # after training
        nulls.append(np.abs(d[0, 0] - d[0, -1]).mean() / shift)        # at initialisation
    ratios, nulls = np.array(ratios), np.array(nulls)
    result = {"trials": args.trials, "draws": args.draws, "seeds": f"5000-{5000 + args.draws - 1}",
              "ratio_max": round(float(ratios.max()), 3), "ratio_mean": round(float(ratios.mean()), 3),
              "ratio_second_max": round(float(np.sort(ratios)[-2]), 3),
              "init_null_min": round(float(nulls.min()), 3),
              "fail_bound_1": int(((ratios >= 1) | (nulls < 1)).sum()), "fail_bound_2": int((ratios >= 2).sum()),
              "cpu_seconds": round(time.process_time() - start, 1), "provenance": provenance()}
    OUT.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "provenance"}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
