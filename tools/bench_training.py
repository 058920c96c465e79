"""The training speed-ups of the shared package, each against the implementation it replaced.

    python tools/bench_training.py        # about a minute; `make bench` runs it too

`benchmark()` times, in this process with one torch thread, a few training steps of

- a width-256, depth-3 ReLU ensemble (chapter 1's widest paper-scale network): the activation
  as `torch.where` (`linearity.models.sigma`, the previous implementation) against `torch.relu`;
- chapter 5's paper-scale sweep (352 PReLU networks of width 32 on 1000 points): the whole
  ensemble in one pass (the previous implementation) against `chunk=ch.CHUNK` members at a time.

Both pairs compute the same numbers (tests/test_models_train.py); only the time differs.
"""

from __future__ import annotations

import json
import time

import numpy as np
import torch

import linearity as lin
from linearity import ch05_nonlinear_advantage as ch
from linearity.setup import keep_freed_memory


def _cpu(fn) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start


def benchmark(steps_relu: int = 40, steps_sweep: int = 8) -> dict:
    """CPU seconds per training step, previous and current implementation, and their ratio."""
    torch.set_num_threads(1)
    keep_freed_memory()
    x = torch.tensor(lin.data.symmetrize(lin.data.gaussian(400, 2, np.random.default_rng(1))))
    y = torch.tensor(lin.data.odd_bump(x.numpy()))

    def relu_run(previous: bool) -> float:
        net = lin.models.MLP(2, 256, 1, depth=3, ensemble=5, generator=torch.Generator().manual_seed(0))
        if previous:
            net._act = lambda z, slope: lin.models.sigma(z, 0.0)
        return _cpu(lambda: lin.train.fit(net, x, y, lr=0.02, steps=steps_relu, optimizer="adam",
                                          record_every=steps_relu, grid=2.0**-24)) / steps_relu

    xs, ys = lin.data.spirals(500, 2.5, 0.05, np.random.default_rng(1))[:2]
    lambdas = [0.0, *np.logspace(-3.5, -0.5, 10)]

    def sweep_run(chunk: int | None) -> float:
        saved, ch.CHUNK = ch.CHUNK, chunk
        try:
            return _cpu(lambda: ch.sweep(xs, ys, xs, ys, lambdas=lambdas, n_seeds=16, width=32, depth=4,
                                         steps=steps_sweep, finetune_steps=0, lr=0.02, eps=0.02,
                                         generator=torch.Generator().manual_seed(0))) / steps_sweep
        finally:
            ch.CHUNK = saved

    relu_run(False)                                              # warm-up: first-call costs
    result = {"relu_where_s_per_step": relu_run(True), "relu_s_per_step": relu_run(False),
              "sweep_whole_s_per_step": sweep_run(None), "sweep_chunked_s_per_step": sweep_run(ch.CHUNK)}
    result["relu_speedup"] = result["relu_where_s_per_step"] / result["relu_s_per_step"]
    result["sweep_speedup"] = result["sweep_whole_s_per_step"] / result["sweep_chunked_s_per_step"]
    return result


if __name__ == "__main__":
    print(json.dumps(benchmark(), indent=2))
