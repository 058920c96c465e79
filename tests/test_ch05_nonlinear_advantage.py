"""Tests of linearity.ch05_nonlinear_advantage: the exact APL against brute-force path
enumeration, penalty, snapping, collapse and the independence of the networks of a batched sweep."""

import numpy as np
import pytest
import torch

import linearity as lin
from linearity import ch05_nonlinear_advantage as A
from linearity.data import spirals


def test_toy_counts_and_apl():
    spec = A.toy_spec()
    counts, probs = A.enumerate_paths(spec)
    assert len(counts) == A.n_paths(spec) == 257
    assert abs(A.apl(spec) - 1024 / 257) < 1e-12
    assert abs(A.apl(spec, normalized=True) - 2.0) < 1e-12
    assert abs(counts.mean() - 1024 / 257) < 1e-12
    assert abs((counts * probs).sum() - 2.0) < 1e-12


def random_spec(rng, depth=0):
    items = []
    for _ in range(rng.integers(1, 4)):
        if depth < 2 and rng.random() < 0.4:
            items.append(A.Skip(random_spec(rng, depth + 1)))
        else:
            items.append(rng.random(rng.integers(1, 4)) < 0.6)
    return items


@pytest.mark.parametrize("seed", range(25))
def test_exact_apl_matches_brute_force(seed):
    spec = random_spec(np.random.default_rng(seed))
    counts, probs = A.enumerate_paths(spec)
    assert len(counts) == A.n_paths(spec)
    assert abs(probs.sum() - 1) < 1e-12
    assert abs(A.apl(spec) - counts.mean()) < 1e-12
    assert abs(A.apl(spec, normalized=True) - (counts * probs).sum()) < 1e-12


def test_normalisation_matters_with_skips_only():
    rng = np.random.default_rng(0)
    masks = [rng.random(5) < 0.5 for _ in range(3)]
    assert abs(A.apl(masks) - A.apl(masks, normalized=True)) < 1e-12
    assert abs(A.apl(masks) - A.apl_mlp(masks)) < 1e-12
    skip = [A.Skip([np.ones(2, bool), np.ones(2, bool)])]     # 5 paths: 4 of length 2, 1 of 0
    assert abs(A.apl(skip) - 8 / 5) < 1e-12 and abs(A.apl(skip, normalized=True) - 1.0) < 1e-12


def test_bad_spec_raises():
    with pytest.raises(ValueError, match="spec"):
        A.apl([])
    with pytest.raises(ValueError, match="spec"):
        A.apl([np.array([1, 0])])


def test_penalty_and_snapping():
    m = lin.models.MLP(2, 3, 2, depth=3, activation="prelu", ensemble=2)
    with torch.no_grad():
        m.slopes[0].copy_(torch.tensor([[0.0, 0.5, 0.995], [1.2, -0.1, 0.9]], dtype=torch.float64))
        m.slopes[1].fill_(1.0)
    A.snap_slopes(m, eps=0.0)                       # clip to [0, 1]: where the penalty is evaluated
    assert torch.allclose(A.slope_penalty(m.slopes), torch.tensor([1.505, 0.0 + 1.0 + 0.1], dtype=torch.float64))
    assert torch.allclose(A.slope_penalty(m.slopes), sum((1 - a).abs().sum(-1) for a in m.slopes))
    A.snap_slopes(m, eps=0.01)
    assert m.slopes[0].tolist() == [[0.0, 0.5, 1.0], [1.0, 0.0, 0.9]]
    assert np.allclose(A.apl_mlp(A.linear_masks(m)), [2 / 3, 2 / 3])


def test_prelu_forward_is_sigma_and_collapse():
    g = torch.Generator().manual_seed(1)
    m = lin.models.MLP(3, 5, 2, depth=4, activation="prelu", bias=True, ensemble=3, generator=g)
    with torch.no_grad():
        for a in m.slopes:
            a.uniform_(0, 1, generator=g)
        for b in m.biases:
            b.normal_(generator=g)
    x = torch.randn(7, 3, dtype=torch.float64, generator=g)
    h = x
    for k, w in enumerate(m.weights):                # σ_α(z) = max(z, α z) layer by layer
        z = h @ w.transpose(1, 2) + m.biases[k].unsqueeze(1)
        h = lin.models.sigma(z, m.slopes[k].unsqueeze(1)) if k < m.depth - 1 else z
    assert torch.equal(h, m(x))
    with torch.no_grad():
        for a in m.slopes:
            a.fill_(1.0)
    mat, b = lin.models.end_to_end(m)
    affine = x @ mat.transpose(1, 2) + b.unsqueeze(1)
    assert (affine - m(x)).abs().max() < 1e-12


def test_sweep_members_are_independent():
    rng = np.random.default_rng(0)
    x, y = spirals(20, 1.0, 0.0, rng)
    kw = dict(n_seeds=1, width=4, depth=3, steps=60, finetune_steps=5, lr=0.05, eps=0.02,
              dtype=torch.float64)
    both = A.sweep(x, y, x, y, lambdas=[0.0, 0.5], generator=torch.Generator().manual_seed(3), **kw)
    other = A.sweep(x, y, x, y, lambdas=[0.0, 0.05], generator=torch.Generator().manual_seed(3), **kw)
    # λ = 0: early and late train identically from the same start
    assert np.array_equal(both.apl[0, 0], both.apl[1, 0])
    assert abs(both.model.weights[0][0] - both.model.weights[0][2]).max() < 1e-12
    # network 0 of the two-λ ensemble is not disturbed by the λ = 0.5 network beside it
    assert abs(both.model.weights[0][0] - other.model.weights[0][0]).max() < 1e-10
    assert abs(both.model.weights[0][1] - other.model.weights[0][1]).max() > 1e-6
    # the penalty makes units linear
    assert both.apl[0, 1].mean() < both.apl[0, 0].mean()


def test_sweep_takes_one_grid_per_regime():
    x, y = spirals(20, 1.0, 0.0, np.random.default_rng(0))
    kw = dict(n_seeds=2, width=4, depth=3, steps=40, finetune_steps=2, lr=0.05, eps=0.02,
              generator=torch.Generator().manual_seed(3))
    sw = A.sweep(x, y, x, y, lambdas=[[0.0, 0.5], [0.0, 0.05]], **kw)
    assert sw.lambdas.tolist() == [[0.0, 0.5], [0.0, 0.05]] and sw.apl.shape == (2, 2, 2)
    with pytest.raises(ValueError, match="lambdas"):
        A.sweep(x, y, x, y, lambdas=[[0.0, -1.0], [0.0, 0.1]], **kw)


def test_on_grid_interpolates_only_between_close_networks():
    apl, acc = [0.0, 0.25, 0.25, 1.0, 2.0], [0.5, 0.6, 0.8, 0.9, 0.7]    # two networks at 0.25: mean 0.7
    grid = np.array([0.0, 0.125, 0.25, 0.5, 1.5, 2.0, 2.5])
    v = A.on_grid(apl, acc, grid, span=1.0)             # 0.25 -> 1.0 spans 0.75; 2.5 lies outside
    assert np.allclose(v[:6], [0.5, 0.6, 0.7, 0.7 + 0.2 / 3, 0.8, 0.7]) and np.isnan(v[6])
    v = A.on_grid(apl, acc, grid, span=0.5)             # no chord across the gaps 0.25 -> 1 -> 2
    assert np.allclose(v[[0, 1, 2, 5]], [0.5, 0.6, 0.7, 0.7]) and np.isnan(v[[3, 4, 6]]).all()
    with pytest.raises(ValueError, match="span"):
        A.on_grid(apl, acc, grid, span=-1.0)


def test_sweep_raises_when_training_blows_up():
    """A step size that blows the weights up to finite but huge values (final loss ~1e90,
    chance accuracy) raises like `lin.train.fit` does on a NaN loss, also without fine-tuning."""
    x, y = spirals(20, 1.0, 0.0, np.random.default_rng(0))
    kw = dict(lambdas=[0.0, 0.1], n_seeds=1, width=4, depth=3, steps=20, eps=0.02)
    with pytest.raises(lin.train.TrainingDiverged, match="lr=1e\\+30"):
        A.sweep(x, y, x, y, **kw, finetune_steps=0, lr=1e30, generator=torch.Generator().manual_seed(0))
    A.sweep(x, y, x, y, **kw, finetune_steps=0, lr=0.05, generator=torch.Generator().manual_seed(0))


@pytest.mark.parametrize("budget", ["equal", "finetune"])
def test_random_control_linearises_as_many_units(budget):
    """The shortcut sets as many random units per layer linear as the penalised late network has;
    the equal-budget control pushes random units to linearity with the penalty."""
    x, y = spirals(20, 1.0, 0.0, np.random.default_rng(0))
    sw = A.sweep(x, y, x, y, lambdas=[0.0, 0.3], n_seeds=2, width=5, depth=3, steps=120, finetune_steps=4,
                 lr=0.05, eps=0.02, generator=torch.Generator().manual_seed(1))
    apl, acc = A.random_control(sw, x, y, x, y, columns=[1], steps=120, finetune_steps=4, lr=0.05, eps=0.02,
                                rng=np.random.default_rng(0), budget=budget)
    assert apl.shape == acc.shape == (1, 2)
    if budget == "finetune":                              # at least as many linear units as the penalty's
        assert (apl <= sw.apl[1, 1] + 1e-12).all()
    else:
        assert (apl < sw.apl[1, 0]).all()
    with pytest.raises(ValueError, match="budget"):
        A.random_control(sw, x, y, x, y, columns=[1], steps=1, finetune_steps=1, lr=0.05, eps=0.02,
                         rng=np.random.default_rng(0), budget="other")
