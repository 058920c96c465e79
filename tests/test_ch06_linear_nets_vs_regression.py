"""Tests of linearity.ch06_linear_nets_vs_regression: the vectorised chain training against the plain PyTorch loop."""

from pathlib import Path

import numpy as np
import pytest
import torch

from linearity import ch06_linear_nets_vs_regression as ch
from linearity.train import TrainingDiverged

ROOT = Path(__file__).resolve().parents[1]


def _slice(trials=2, depths=(1, 2, 3, 5), seed=0):
    rng = np.random.default_rng(seed)
    data = ch.paper_data(trials, (0.05, 0.5), n=200, n_val=20, rng=rng)
    w, b = ch.grid_init((trials,), depths, rng)
    return data, w, b


def test_vectorised_matches_reference_loop_float64():
    depths = (1, 2, 3, 5)
    data, w, b = _slice(depths=depths)
    mom = ch.Moments.of(data.x[1], data.y[1])                       # κ = 0.5
    m = mom[:, None]
    run = ch.train_chains(w, b, m, depth=np.array(depths), lr=1e-2, steps=200, record_every=50)
    for t in range(w.shape[0]):
        for j, k in enumerate(depths):
            wr, br = ch.reference_train(data.x[1, t], data.y[1, t], w[t, j, :k], b[t, j, :k], lr=1e-2, steps=200)
            np.testing.assert_allclose(run.w[t, j, :k], wr, rtol=0, atol=1e-10)
            np.testing.assert_allclose(run.b[t, j, :k], br, rtol=0, atol=1e-10)
            # padded layers stay identities
            assert np.all(run.w[t, j, k:] == 1) and np.all(run.b[t, j, k:] == 0)


def test_loss_is_torch_mse_without_half():
    data, w, b = _slice()
    x, y = data.x[0, 0], data.y[0, 0]
    p, c = 0.3, -0.7
    torch_mse = torch.nn.MSELoss()(torch.as_tensor(p * x + c), torch.as_tensor(y)).item()
    assert ch.Moments.of(x, y).loss(np.float64(p), np.float64(c)) == pytest.approx(torch_mse, rel=1e-12)


def test_ols_matches_polyfit():
    rng = np.random.default_rng(1)
    data = ch.paper_data(1, (0.3,), rng=rng)
    a, c0 = ch.Moments.of(data.x[0, 0], data.y[0, 0]).ols()
    coef = np.polyfit(data.x[0, 0], data.y[0, 0], 1)
    np.testing.assert_allclose([a, c0], coef, atol=1e-10)


def test_noise_scaled_by_mean_quirk_and_default_init_range():
    rng = np.random.default_rng(2)
    data = ch.paper_data(4, (0.0, 0.5), rng=rng)
    np.testing.assert_allclose(data.y[0], data.slope[:, None] * data.x[0] + data.intercept[:, None])
    clean_mean = data.y[0].mean(1)
    eps = (data.y[1] - data.y[0]) / (0.5 * clean_mean[:, None])
    assert abs(eps.std() - 1) < 0.1                      # the noise is ε·κ·mean(clean target)
    w, b = ch.default_init((1000,), 2, rng)
    assert w.min() >= -1 and w.max() <= 1 and b.min() >= -1 and b.max() <= 1
    assert w.min() < -0.99 and w.max() > 0.99
    layer = torch.nn.Linear(1, 1)                       # torch's own bounds are ±1 for fan_in = 1
    assert abs(layer.weight.item()) <= 1 and abs(layer.bias.item()) <= 1


def test_invariant_drift_is_linear_in_eta_at_fixed_time():
    data, w, b = _slice(depths=(4,))
    m = ch.Moments.of(data.x[0], data.y[0])
    q0 = ch.invariants(w[:, 0], b[:, 0])
    drifts = []
    for lr in (1e-3, 5e-4):
        run = ch.train_chains(w[:, 0], b[:, 0], m, lr=lr, steps=round(2 / lr))
        drifts.append(np.abs(ch.invariants(run.w, run.b) - q0).max())
    assert drifts[0] > 1e-6
    assert drifts[1] / drifts[0] == pytest.approx(0.5, abs=0.1)   # drift ∝ η at fixed time η·t


def test_depth_one_converges_to_ols_and_arguments_checked():
    data, w, b = _slice(depths=(1,))
    m = ch.Moments.of(data.x[0], data.y[0])
    run = ch.train_chains(w[:, 0], b[:, 0], m, steps=10_000, record_every=10_000)
    a, c = m.ols()
    assert ch.deviation(run.p[-1], run.c[-1], a, c).max() < 1e-6
    with pytest.raises(ValueError, match="lr"):
        ch.train_chains(w[:, 0], b[:, 0], m, lr=-1.0, steps=1)
    with pytest.raises(ValueError, match="depth"):
        ch.train_chains(w[:, 0], b[:, 0], m, depth=2, steps=1)
    with pytest.raises(ValueError, match="identities"):
        ch.train_chains(np.zeros((2, 3)), np.zeros((2, 3)), m, depth=1, steps=1)
    with pytest.raises(ValueError, match="sign"):
        ch.identity_init(np.array([0.5]), 3)
    with pytest.raises(TrainingDiverged):
        ch.train_chains(w[:, 0], b[:, 0], m, lr=10.0, steps=2000)


def test_reference_loop_raises_on_divergence_naming_step_and_lr():
    data, w, b = _slice(depths=(3,))
    x, y = data.x[0, 0], data.y[0, 0]
    with pytest.raises(TrainingDiverged, match=r"step \d+ with lr=10\.0"):
        ch.reference_train(x, y, w[0, 0], b[0, 0], lr=10.0, steps=2000)
    with pytest.raises(ValueError, match="lr"):
        ch.reference_train(x, y, w[0, 0], b[0, 0], lr=0.0, steps=1)
    wr, br = ch.reference_train(x, y, w[0, 0], b[0, 0], lr=1e-2, steps=5, device="cpu")
    assert np.all(np.isfinite(wr)) and np.all(np.isfinite(br))


def test_frozen_biases_keep_weights_balanced_and_sign():
    data, _, _ = _slice()
    m = ch.Moments.of(data.x[0], data.y[0])
    a, _ = m.ols()
    w, b = ch.identity_init(-np.sign(a), 4)                  # sign-mismatched
    mask = np.array([0, 0, 0, 1])                             # only the last bias trains
    run = ch.train_chains(w, b, m, steps=3000, train_bias=mask)
    assert np.all(run.b[:, :3] == 0)
    assert np.abs(np.diff(run.w**2, axis=-1)).max() < 1e-6   # Q_i = w_{i+1}² − w_i² stays 0 up to O(η²)
    assert np.all(np.sign(run.p[-1]) == -np.sign(a))


def test_vectorised_training_is_thousands_of_times_faster_than_the_plain_loop():
    """The speed-up chapter 6 states ("in the thousands"), measured here in CPU seconds on a
    100-trial grid: the plain loop on one trial, extrapolated, against the whole grid at once."""
    import sys

    sys.path.insert(0, str(ROOT / "tools"))
    from bench_chains import benchmark

    r = benchmark(trials=100, kappas=(0.05,), depths=tuple(range(1, 11)), steps=2000, reference_steps=100)
    assert r["reference_extrapolated_s"] == pytest.approx(r["reference_slice_s"] * 20 * 100)
    assert r["speedup_cpu"] >= 1000, r


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_reference_loop_on_cuda_matches_cpu():
    data, w, b = _slice(depths=(3,))
    x, y = data.x[0, 0], data.y[0, 0]
    cpu = ch.reference_train(x, y, w[0, 0], b[0, 0], lr=1e-2, steps=200)
    gpu = ch.reference_train(x, y, w[0, 0], b[0, 0], lr=1e-2, steps=200, device="cuda")
    np.testing.assert_allclose(gpu[0], cpu[0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(gpu[1], cpu[1], rtol=0, atol=1e-12)


def test_weight_decay_matches_torch_sgd_weight_decay():
    depths = (1, 3)
    data, w, b = _slice(depths=depths)
    m = ch.Moments.of(data.x[0], data.y[0])[:, None]
    run = ch.train_chains(w, b, m, depth=np.array(depths), lr=1e-2, steps=150, weight_decay=3e-3)
    for t in range(w.shape[0]):
        for j, k in enumerate(depths):
            wr, br = ch.reference_train(data.x[0, t], data.y[0, t], w[t, j, :k], b[t, j, :k], lr=1e-2, steps=150,
                                        weight_decay=3e-3)
            np.testing.assert_allclose(run.w[t, j, :k], wr, rtol=0, atol=1e-10)
            np.testing.assert_allclose(run.b[t, j, :k], br, rtol=0, atol=1e-10)
    plain = ch.train_chains(w, b, m, depth=np.array(depths), lr=1e-2, steps=150)
    assert np.abs(plain.w - run.w).max() > 1e-4                     # the decay does something
    with pytest.raises(ValueError, match="weight_decay"):
        ch.train_chains(w, b, m, depth=np.array(depths), steps=1, weight_decay=-1.0)


def test_chain_gradient_matches_autograd_and_vanishes_at_the_ols_line():
    data, w, b = _slice(trials=3, depths=(4,))
    m = ch.Moments.of(data.x[0], data.y[0])
    for wd in (0.0, 0.5):
        g = ch.chain_gradient(w[:, 0], b[:, 0], m, weight_decay=wd)
        assert g.shape == (3,)
        for t in range(3):
            mt = m[t]
            th = torch.tensor(np.concatenate([w[t, 0], b[t, 0]]), requires_grad=True)
            p, c = torch.ones((), dtype=torch.float64), torch.zeros((), dtype=torch.float64)
            for i in range(4):
                p, c = th[i] * p, th[i] * c + th[4 + i]
            loss = (p * p * mt.sxx + 2 * p * c * mt.sx + c * c - 2 * p * mt.sxy - 2 * c * mt.sy + mt.syy
                    + 0.5 * wd * (th * th).sum())
            (ref,) = torch.autograd.grad(loss, th)
            assert g[t] == pytest.approx(float(ref.norm()), rel=1e-12, abs=1e-14)
    a, c0 = m[0].ols()
    s = abs(float(a)) ** (1 / 3)
    w_opt, b_opt = np.array([np.sign(a) * s, s, s]), np.array([0.0, 0.0, float(c0)])
    assert ch.chain_gradient(w_opt, b_opt, m[0]) < 1e-12                    # the least-squares line: critical
    assert ch.chain_gradient(np.zeros(3), np.array([0.0, 0.0, float(m[0].sy)]), m[0]) < 1e-12   # the origin saddle


def test_float32_script_loop_gives_the_same_verdicts_as_float64():
    """The paper's script runs in float32; a batched float32 copy of its loop leaves the same chains stuck."""
    rng = np.random.default_rng(11)
    data = ch.paper_data(12, (0.05,), rng=rng)
    x32, y32 = (torch.tensor(v[0], dtype=torch.float32) for v in (data.x, data.y))
    m = ch.Moments.of(x32.double().numpy(), y32.double().numpy())
    a, c0 = m.ols()
    w0, b0 = ch.default_init((12,), 10, rng)
    r = ch.train_chains(w0, b0, m, steps=10_000, record_every=10_000)
    W = torch.tensor(w0, dtype=torch.float32, requires_grad=True)
    B = torch.tensor(b0, dtype=torch.float32, requires_grad=True)
    opt = torch.optim.SGD([W, B], lr=1e-3)
    for _ in range(10_000):
        opt.zero_grad()
        h = x32
        for i in range(10):
            h = W[:, i:i + 1] * h + B[:, i:i + 1]
        ((h - y32) ** 2).mean(1).sum().backward()
        opt.step()
    with torch.no_grad():
        h = x32
        for i in range(10):
            h = W[:, i:i + 1] * h + B[:, i:i + 1]
        p32 = W.prod(1).double().numpy()
        c32 = (h - W.prod(1)[:, None] * x32).mean(1).double().numpy()
    d64, d32 = ch.deviation(r.p[-1], r.c[-1], a, c0), ch.deviation(p32, c32, a, c0)
    assert np.array_equal(d64 < 0.01, d32 < 0.01)
    assert (d64 >= 0.01).sum() == 11                      # chapter 6 says: 11 of the 12 stuck
    assert np.abs(d64 - d32).max() < 1e-3
