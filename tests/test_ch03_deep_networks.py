"""Tests of ch03_deep_networks: the mirror symmetry of depth three (equations `deep-mirror-map`,
`deep-mirror-fix`, `deep-extra-gradient` of chapter 3) and the linear part of a network."""

import numpy as np
import pytest
import torch

import linearity as lin
from linearity import ch03_deep_networks as deep
from linearity import data


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_odd_bump_network_is_exact_and_mirror_symmetric():
    net = lin.models.odd_bump_network()
    x = np.random.default_rng(0).standard_normal((200, 2))
    out = net(torch.tensor(x)).detach().numpy()
    assert np.abs(out - data.odd_bump(x)).max() < 1e-14
    parts = deep.mirror_split(net)
    assert parts["first"].item() == parts["middle"].item() == parts["last"].item() == 0.0
    assert parts["D"].abs().max().item() == 1.0  # needs the even channel: not the linear embedding


def test_embedding_gradients_match_autograd():
    rng = np.random.default_rng(1)
    x, y = data.symmetrize(rng.standard_normal((30, 3)), rng.standard_normal((30, 2)))
    net = lin.models.MLP(3, 8, 2, depth=3, mirrored=True, generator=gen(2))
    m1 = 4
    w1, w2, w3 = net.numpy_weights()
    v, k, a = w1[:m1], w2[:m1, :m1], w3[:, :m1]  # at init B = K, C = −K, D = 0
    pred = net(torch.tensor(x))
    g2 = torch.autograd.grad(0.5 * ((pred - torch.tensor(y)) ** 2).sum(1).mean(), net.weights[1])[0][0].numpy()
    g11, g12, g21, g22 = g2[:m1, :m1], g2[:m1, m1:], g2[m1:, :m1], g2[m1:, m1:]
    grad_k, grad_d = deep.embedding_gradients(v, k, a, x, y)
    assert np.abs((g11 - g12 - g21 + g22) - grad_k).max() < 1e-12
    assert np.abs((g11 + g12 + g21 + g22) - grad_d).max() < 1e-12
    assert np.abs(grad_d).max() > 1e-3  # the extra term is really there
    k_part, d_part = deep.middle_parts(torch.tensor(g2)[None])  # the same split, as a module function
    assert np.abs(4 * k_part[0].numpy() - grad_k).max() < 1e-12
    assert np.abs(4 * d_part[0].numpy() - grad_d).max() < 1e-12


def test_gradient_descent_keeps_mirror_symmetry_but_leaves_the_embedding():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((50, 2))
    x, y = data.symmetrize(x, data.odd_bump(x))
    net = lin.models.MLP(2, 8, 1, depth=3, mirrored=True, init_scale=0.5, ensemble=2, generator=gen(4))
    lin.train.fit(net, torch.tensor(x), torch.tensor(y), lr=0.1, steps=200)
    parts = deep.mirror_split(net)
    for key in ("first", "middle", "last"):
        assert parts[key].max().item() < 1e-13
    assert deep.mirror_violation(net).min().item() > 1e-2
    xt = torch.tensor(rng.standard_normal((100, 2)))
    assert (net(xt) + net(-xt)).abs().max().item() < 1e-13


def test_asymmetric_data_breaks_the_mirror():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((60, 2))
    net = lin.models.MLP(2, 8, 1, depth=3, mirrored=True, init_scale=0.5, generator=gen(6))
    lin.train.fit(net, torch.tensor(x), torch.tensor(data.odd_bump(x) + 0.3), lr=0.1, steps=100)
    assert deep.mirror_split(net)["first"].item() > 1e-3


def test_linear_part_of_a_linear_network_is_its_end_to_end_map():
    x = torch.tensor(data.whiten(data.symmetrize(np.random.default_rng(7).standard_normal((40, 5)))))
    net = lin.models.MLP(5, 6, 3, depth=3, activation="linear", ensemble=2, generator=gen(8))
    assert (deep.linear_part(net, x) - lin.models.end_to_end(net)[0].detach()).abs().max().item() < 1e-12


def test_learn_times():
    u, v, s = np.eye(2), np.eye(2), np.array([2.0, 1.0])
    maps = np.array([np.diag([0.0, 0.0]), np.diag([1.5, 0.2]), np.diag([2.0, 0.6])])
    t = deep.learn_times(np.array([0, 10, 20]), maps, u, s, v)
    assert t[0] == pytest.approx(1 / 1.5 * 10) and t[1] == pytest.approx(10 + 0.3 / 0.4 * 10)  # interpolated
    t = deep.learn_times(np.array([0, 10, 20]), maps, u, np.array([2.0, 5.0]), v)
    assert t[0] == pytest.approx(20 / 3) and np.isnan(t[1])
    # a strength that stalls exactly at the level, with a last-digit overshoot, cannot pass a level above it
    maps = np.array([np.diag([0.0, 0.0]), np.diag([1.0000006, 0.0]), np.diag([1.0, 0.0]), np.diag([2.0, 0.0])])
    assert deep.learn_times(np.arange(4) * 10, maps, u, s, v, fraction=0.55)[0] == pytest.approx(20 + 0.1 / 1.0 * 10)
    with pytest.raises(ValueError, match="fraction"):
        deep.learn_times(np.array([0]), maps[:1], u, s, v, fraction=0.0)


def test_argument_checks():
    with pytest.raises(ValueError, match="depth 3"):
        deep.mirror_split(lin.models.MLP(2, 4, 1, depth=2))
    with pytest.raises(ValueError, match="w2"):
        deep.middle_parts(torch.ones(1, 3, 4))
    with pytest.raises(ValueError, match="shapes"):
        deep.embedding_gradients(np.ones((2, 3)), np.ones((3, 3)), np.ones((1, 2)), np.ones((4, 3)), np.ones(4))


def test_saddle_levels():
    assert np.allclose(deep.saddle_levels(np.array([3.0, 2.0, 1.0, 0.0])), [7.0, 2.5, 0.5, 0.0])
    with pytest.raises(ValueError, match="s must"):
        deep.saddle_levels(np.array([1.0, -1.0]))


def test_plateau_steps_counts_time_at_the_level():
    # the loss: 7 for 10 steps, falls, sits near 2.5 for 6 steps, falls to 0.5, then 0
    loss = np.concatenate([np.full(10, 7.0), [5.0, 3.0], [2.52, 2.49, 2.5, 2.51, 2.48, 2.5], [1.0, 0.5, 0.5, 0.0]])
    assert deep.plateau_steps(loss, 7.0, 4.5, 0, 12) == (10, 0, 9)
    assert deep.plateau_steps(loss, 2.5, 2.0, 10, 18) == (6, 12, 17)
    assert deep.plateau_steps(loss, 2.5, 2.0, 10, 18, band=0.004) == (2, 14, 17)
    assert deep.plateau_steps(loss, 2.5, 2.0, 10, 14)[0] == 2          # the window is respected
    assert deep.plateau_steps(loss, 0.5, 0.5, 18, np.nan)[0] == 2      # never learned: to the end
    assert deep.plateau_steps(loss, 7.0, 4.5, np.nan, 12) == (0, -1, -1)
    assert deep.plateau_steps(loss, 4.0, 1.0, 0, 22) == (0, -1, -1)    # never at that level
    with pytest.raises(ValueError, match="band"):
        deep.plateau_steps(loss, 7.0, 4.5, 0, 12, band=0.0)
    with pytest.raises(ValueError, match="drop"):
        deep.plateau_steps(loss, 7.0, 0.0, 0, 12)
