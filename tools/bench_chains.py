"""The linear-chains speed-up the book states (chapter 6): vectorised training against the plain loop.

    python tools/bench_chains.py          # the paper's grid; `make bench` runs it too

`benchmark()` times, in this process with one torch thread, the reference loop
(`linearity.ch06_linear_nets_vs_regression.reference_train`) on a slice and the vectorised `train_chains` on the
whole grid, and extrapolates the loop to the grid.
"""

from __future__ import annotations

import json
import time
from typing import Sequence

import numpy as np
import torch

from linearity.ch06_linear_nets_vs_regression import (PAPER_DEPTHS, PAPER_KAPPAS, PAPER_STEPS, PAPER_TRIALS,
                                                     Moments, grid_init, paper_data, reference_train,
                                                     train_chains)


def benchmark(trials: int = PAPER_TRIALS, kappas: Sequence[float] = PAPER_KAPPAS,
              depths: Sequence[int] = PAPER_DEPTHS, steps: int = PAPER_STEPS, *,
              reference_steps: int = 300, seed: int = 0) -> dict:
    """Time the reference loop on a slice and the vectorised full grid; extrapolate the speed-up.

    The reference loop (`reference_train`: one `nn.Linear(1,1)` chain per trial and depth,
    SGD, no per-step bookkeeping beyond its divergence check — the paper's own script also
    records D, losses and gradient norms every step and is about 2.5× slower still) runs `reference_steps` steps
    for one trial at every depth; its time is scaled by steps/reference_steps × trials ×
    len(kappas). The vectorised `train_chains` runs the whole grid (κ × trials × depths ×
    steps). Both are timed in this process with one torch thread, in wall-clock and CPU
    seconds (`*_cpu_s`, less sensitive to a busy machine).
    """
    rng = np.random.default_rng(seed)
    data = paper_data(trials, kappas, rng=rng)
    torch.set_num_threads(1)
    w, b = grid_init((trials,), depths, rng)                     # the same init for every κ
    w = np.broadcast_to(w, (len(data.kappa),) + w.shape)
    b = np.broadcast_to(b, (len(data.kappa),) + b.shape)
    t0, c0 = time.perf_counter(), time.process_time()
    for j, k in enumerate(depths):
        reference_train(data.x[0, 0], data.y[0, 0], w[0, 0, j, :k], b[0, 0, j, :k],
                        steps=reference_steps)
    ref_slice, ref_cpu = time.perf_counter() - t0, time.process_time() - c0
    ref_full = ref_slice * (steps / reference_steps) * trials * len(data.kappa)
    mom = Moments.of(data.x, data.y)
    t0, c0 = time.perf_counter(), time.process_time()
    train_chains(w, b, mom[..., None],
                 depth=np.asarray(depths), steps=steps, record_every=steps)
    vec, vec_cpu = time.perf_counter() - t0, time.process_time() - c0
    return {
        "grid": f"{len(data.kappa)} kappa x {trials} trials x {len(depths)} depths x {steps} steps",
        "reference": "plain loop: one torch.nn.Linear(1,1) chain per trial and depth, torch.optim.SGD, "
                     "MSELoss, float64, no per-step bookkeeping beyond a divergence check",
        "reference_slice_s": ref_slice,
        "reference_slice": f"1 trial x {len(depths)} depths x {reference_steps} steps",
        "reference_extrapolated_s": ref_full,
        "vectorised_s": vec,
        "speedup": ref_full / vec,
        "reference_extrapolated_cpu_s": ref_cpu * ref_full / ref_slice,
        "vectorised_cpu_s": vec_cpu,
        "speedup_cpu": (ref_cpu * ref_full / ref_slice) / vec_cpu,
    }


if __name__ == "__main__":
    print(json.dumps(benchmark(), indent=2))
