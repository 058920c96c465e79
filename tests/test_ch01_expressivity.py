"""Tests of ch01_expressivity.py: each fails if the equation it checks is broken."""

import numpy as np
import pytest
import torch

import linearity as lin
from linearity import data
from linearity.ch01_expressivity import loss_split
from linearity.models import odd_bump_network


def test_odd_bump_network_is_exact():
    x = data.gaussian(500, 2, np.random.default_rng(0))
    out = odd_bump_network()(torch.tensor(x)).detach().numpy()
    assert np.abs(out - data.odd_bump(x)).max() < 1e-14
    assert np.abs(out).max() > 0.5  # not the zero function


def test_loss_split_adds_up_and_cross_term_vanishes_on_symmetric_data():
    rng = np.random.default_rng(1)
    x = data.symmetrize(data.gaussian(200, 2, rng))
    y = data.odd_bump(x)
    m = lin.models.MLP(2, 20, 1, ensemble=3, generator=torch.Generator().manual_seed(0))
    xt = torch.tensor(x)
    with torch.no_grad():
        s = loss_split(m(xt).numpy(), m(-xt).numpy(), y)
        direct = lin.train.fit(m, xt, torch.tensor(y), lr=0.1, steps=0).loss[-1]
    assert s.total.shape == (3,)
    assert np.allclose(s.total, s.odd + s.even + s.cross, atol=1e-14)
    assert np.allclose(s.total, direct, atol=1e-14)
    assert np.abs(s.cross).max() < 1e-14
    assert s.even.min() > 1e-3  # a random ReLU network has an even part


def test_cross_term_does_not_vanish_on_an_iid_sample():
    rng = np.random.default_rng(2)
    x = data.gaussian(50, 2, rng)
    m = lin.models.MLP(2, 20, 1, generator=torch.Generator().manual_seed(0))
    xt = torch.tensor(x)
    with torch.no_grad():
        s = loss_split(m(xt).numpy(), m(-xt).numpy(), data.odd_bump(x))
    assert abs(float(s.cross)) > 1e-6


def test_loss_split_checks_shapes():
    with pytest.raises(ValueError, match="f_minus_x"):
        loss_split(np.zeros((4, 1)), np.zeros((5, 1)), np.zeros((4, 1)))
    with pytest.raises(ValueError, match="y must"):
        loss_split(np.zeros((4, 1)), np.zeros((4, 1)), np.zeros(4))


@pytest.mark.parametrize("depth, bias", [(2, False), (3, False), (2, True)])
def test_nested_ensemble_members_stay_their_own_width(depth, bias):
    from linearity.ch01_expressivity import nested_ensemble
    widths = [3, 8]
    net = nested_ensemble(3, widths, 1, depth, 2, bias=bias, generator=torch.Generator().manual_seed(0))
    x = torch.tensor(data.gaussian(40, 3, np.random.default_rng(0)))
    y = x.prod(1, keepdim=True)
    lin.train.fit(net, x, y, lr=0.01, steps=30, optimizer="adam", grid=2**-24)
    first = net.weights[0].detach()
    assert first.shape[0] == 4
    assert (first[:2, 3:] == 0).all() and (first[:2, :3] != 0).all()   # width-3 members: units 3.. stay zero
    assert (net.weights[-1].detach()[:2, :, 3:] == 0).all()
    assert (first[2:] != 0).all()                                         # width-8 members use every unit
    # the padded member computes what the unpadded width-3 network with its weights computes
    small = lin.models.MLP(3, 3, 1, depth=depth, bias=bias)
    with torch.no_grad():
        for k, w in enumerate(small.weights):
            src = net.weights[k][0]
            w[0] = src[:3, :3] if 0 < k < depth - 1 else (src[:3] if k == 0 else src[:, :3])
        for k, b in enumerate(small.biases):
            b[0] = net.biases[k][0][: b.shape[1]]
        assert torch.allclose(small(x), net(x)[0], atol=1e-14, rtol=0)


def test_nested_ensemble_init_scale_is_that_of_the_true_width():
    from linearity.ch01_expressivity import nested_ensemble
    net = nested_ensemble(3, [4, 400], 1, 2, 50, generator=torch.Generator().manual_seed(1))
    out = net.weights[1].detach()[:, 0, :]                       # (members, 400)
    var_narrow = float((out[:50, :4] ** 2).mean())
    var_wide = float((out[50:] ** 2).mean())
    assert abs(var_narrow * 4 - 1) < 0.25 and abs(var_wide * 400 - 1) < 0.05


def test_nested_ensemble_checks_arguments():
    from linearity.ch01_expressivity import nested_ensemble
    with pytest.raises(ValueError, match="widths"):
        nested_ensemble(3, [], 1, 2, 1)
    with pytest.raises(ValueError, match="restarts"):
        nested_ensemble(3, [4], 1, 2, 0)


def test_unexplained_and_homogeneous_floor():
    from linearity.ch01_expressivity import homogeneous_floor, unexplained
    y = torch.tensor([[1.0], [-2.0]], dtype=torch.float64)
    pred = torch.stack([torch.zeros_like(y), y, 0.5 * y])
    assert np.allclose(unexplained(pred, y), [1.0, 0.0, 0.25])
    with pytest.raises(ValueError, match="y must"):
        unexplained(pred, y[:1])
    # Monte Carlo: best degree-1 homogeneous fit c·‖x‖·u₁u₂u₃ = c·x₁x₂x₃/‖x‖² of x₁x₂x₃
    x = np.random.default_rng(0).standard_normal((400_000, 3))
    target, feat = x.prod(1), x.prod(1) / (x**2).sum(1)
    c = (feat @ target) / (feat @ feat)
    mc = ((target - c * feat) ** 2).mean() / (target**2).mean()
    assert abs(homogeneous_floor(3) - 2 / 7) < 1e-15 and abs(mc - 2 / 7) < 0.02


def test_fit_tracked_records_every_steps_across_phases():
    from linearity.ch01_expressivity import fit_tracked, nested_ensemble
    net = nested_ensemble(3, [4], 1, 2, 2, generator=torch.Generator().manual_seed(0))
    x = torch.tensor(data.symmetrize(data.gaussian(20, 3, np.random.default_rng(0))))
    y = x.prod(1, keepdim=True)
    rec = fit_tracked(net, x, y, x, y, phases=[(0.01, 10), (0.001, 5)], every=5)
    assert list(rec["steps"]) == [0, 5, 10, 15]
    assert rec["train"].shape == (4, 2) and np.allclose(rec["train"], rec["test"])
    # a two-layer bias-free network on a symmetrised sample never beats the sample's least squares
    floor = 2 * lin.theory.ols_loss(x.numpy(), y.numpy()) / float((y**2).mean())
    assert np.all(rec["train"] >= floor - 1e-12)
