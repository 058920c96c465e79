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
