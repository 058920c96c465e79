"""Tests of the closed forms of chapter 2 (ch02_linear_dynamics.py): Saxe mode dynamics, the (1+α)/2
rescaling of mirrored leaky-ReLU networks, plateau times, loss curves, ReLU groups."""

import numpy as np
import pytest
import torch
from scipy.integrate import solve_ivp

import linearity as lin
from linearity import ch02_linear_dynamics as ch2
from linearity import data, theory

torch.set_num_threads(1)  # many small steps: one thread is much faster on a shared machine


def test_saxe_mode_solves_the_ode():
    """b(t) against a float64 numerical integration of db/dt = 2b(s − b)."""
    s, b0 = np.array([3.0, 1.0, 0.4]), np.array([1e-3, 1e-2, 1e-4])
    t = np.linspace(0, 12, 121)
    sol = solve_ivp(lambda _, b: 2 * b * (s - b), (0, 12), b0, t_eval=t, rtol=1e-11, atol=1e-14)
    assert np.abs(ch2.saxe_mode(t, s, b0) - sol.y.T).max() < 1e-7
    assert ch2.saxe_mode(0.0, 2.0, 0.1) == pytest.approx(0.1)
    assert ch2.saxe_mode(50.0, 2.0, 0.1) == pytest.approx(2.0)


def test_saxe_mode_is_the_gradient_flow_of_a_balanced_unit():
    """db/dt = 2b(s − b) is the flow of a single unit (a, w) with a = w on L = ½(s − aw)²."""
    s, c0 = 2.0, 0.05
    sol = solve_ivp(lambda _, z: [z[1] * (s - z[0] * z[1]), z[0] * (s - z[0] * z[1])], (0, 5), [c0, c0],
                    t_eval=[1.0, 2.0, 5.0], rtol=1e-11, atol=1e-14)
    assert np.allclose(sol.y[0] * sol.y[1], ch2.saxe_mode(sol.t, s, c0**2), rtol=1e-7)


def test_leaky_mode_rescales_time_and_initial_strength():
    t = np.linspace(0, 10, 11)
    assert np.allclose(ch2.leaky_mode(t, 2.0, 0.01, 1.0), ch2.saxe_mode(t, 2.0, 0.02))
    assert np.allclose(ch2.leaky_mode(2 * t, 2.0, 0.01, 0.0), ch2.saxe_mode(t / 1.0, 2.0, 0.01))
    # relu (α = 0) reaches half strength exactly twice as late as the linear network with the same map
    assert ch2.plateau_time(2.0, 0.01, 0.0) == pytest.approx(2 * ch2.plateau_time(2.0, 0.005, 1.0))


def test_plateau_time_inverts_the_mode_course():
    for alpha in (0.0, 0.3, 1.0):
        for f in (0.1, 0.5, 0.9):
            t = ch2.plateau_time([3.0, 1.0], [1e-3, 1e-4], alpha, f)
            b = np.diagonal(ch2.leaky_mode(t, [3.0, 1.0], [1e-3, 1e-4], alpha))
            assert np.allclose(b, f * np.array([3.0, 1.0]))
    with pytest.raises(ValueError, match="fraction"):
        ch2.plateau_time(1.0, 1e-3, 0.0, 1.5)
    with pytest.raises(ValueError, match="b0"):
        ch2.plateau_time(1.0, 0.9, 0.0)


@pytest.mark.parametrize("bad", [dict(s=-1.0), dict(b0=0.0), dict(alpha=1.5), dict(alpha=True)])
def test_mode_functions_check_arguments(bad):
    args = dict(t=1.0, s=1.0, b0=1e-3, alpha=0.0) | bad
    with pytest.raises(ValueError, match=next(iter(bad))):
        ch2.leaky_mode(**args)


def _whitened_teacher_data(seed=0, n0=150, d_in=5, d_out=3, s=(2.0, 1.0)):
    rng = np.random.default_rng(seed)
    x = data.whiten(data.symmetrize(data.gaussian(n0, d_in, rng)))
    m, u, s, v = data.teacher(list(s), d_out, d_in, rng)
    noise = 0.3 * data.symmetrize(rng.standard_normal((n0, d_out)))
    noise -= x @ theory.ols_fit(x, noise).T
    return x, x @ m.T + noise, u, s, v


def test_linear_floor_is_the_ols_loss_and_needs_whitening():
    x, y, *_ = _whitened_teacher_data()
    assert ch2.linear_floor(x, y) == pytest.approx(theory.ols_loss(x, y), rel=1e-10)
    with pytest.raises(ValueError, match="whiten"):
        ch2.linear_floor(2 * x, y)


def test_mode_loss_matches_gradient_descent_of_mirrored_leaky_networks():
    """The closed form against real networks trained with a small step (float64); one
    ensemble member per slope α (prelu with its slopes frozen is a leaky ReLU)."""
    x, y, u, s, v = _whitened_teacher_data()
    alphas, b0 = [0.0, 0.5, 1.0], 1e-3
    w1, w2 = ch2.mirrored_mode_weights(u, v, b0)
    net = lin.models.MLP(x.shape[1], w1.shape[0], y.shape[1], activation="prelu", ensemble=len(alphas))
    with torch.no_grad():
        net.weights[0].copy_(torch.tensor(w1))
        net.weights[1].copy_(torch.tensor(w2))
        net.slopes[0].copy_(torch.tensor(alphas, dtype=torch.float64)[:, None])
    eta = 0.005 / s[0]
    hist = lin.train.fit(net, torch.tensor(x), torch.tensor(y), lr=eta, steps=int(8 / eta), record_every=20,
                     params=list(net.weights))
    floor = ch2.linear_floor(x, y)
    for k, alpha in enumerate(alphas):
        pred = ch2.mode_loss(hist.steps * eta, s, b0, alpha, floor)
        assert np.abs(hist.loss[:, k] - pred).max() / hist.loss[0, k] < 5e-3
        # the wrong time constant (no (1+α)/2) is far off, so the test can fail
        wrong = ch2.mode_loss(hist.steps * eta, s, (1 + alpha) * b0, 1.0, floor)
        assert alpha == 1.0 or np.abs(hist.loss[:, k] - wrong).max() / hist.loss[0, k] > 0.1


def test_mirrored_mode_weights_compute_the_scaled_map():
    x, y, u, s, v = _whitened_teacher_data()
    w1, w2 = ch2.mirrored_mode_weights(u, v, [0.1, 0.2])
    net = lin.models.MLP(x.shape[1], 4, u.shape[0], activation="leaky", alpha=0.3)
    with torch.no_grad():
        net.weights[0].copy_(torch.tensor(w1))
        net.weights[1].copy_(torch.tensor(w2))
    expected = 1.3 * x @ ((u * [0.1, 0.2]) @ v.T).T
    assert np.abs(net(torch.tensor(x)).detach().numpy() - expected).max() < 1e-12
    with pytest.raises(ValueError, match="b0"):
        ch2.mirrored_mode_weights(u, v, -1.0)


def test_relu_groups_and_stuck_prediction():
    u = np.array([1.0, 0.0])
    a0 = np.array([[0.1, -0.2], [0.3, 0.1]])
    w0 = np.array([[[0.05, 1.0], [0.1, 0.0]], [[-0.1, 0.0], [0.0, 2.0]]])
    assert ch2.relu_groups(a0, w0, u).tolist() == [[1, -1], [1, 1]]
    assert ch2.predicted_stuck(a0, w0, u).tolist() == [False, True]
    with pytest.raises(ValueError, match="a0"):
        ch2.relu_groups(a0, w0[..., :1], u)


def test_perturbed_has_the_asked_relative_size_per_network_and_layer():
    rng = np.random.default_rng(0)
    ws = [rng.standard_normal((5, 2, 4)), rng.standard_normal((5, 1, 2))]
    out = ch2.perturbed(ws, 0.1, np.random.default_rng(1))
    for w, p in zip(ws, out):
        rel = np.linalg.norm((p - w).reshape(5, -1), axis=1) / np.linalg.norm(w.reshape(5, -1), axis=1)
        assert np.allclose(rel, 0.1)
    assert all(np.array_equal(w, p) for w, p in zip(ws, ch2.perturbed(ws, 0.0, np.random.default_rng(1))))
    with pytest.raises(ValueError, match="level"):
        ch2.perturbed(ws, -0.1, rng)
    with pytest.raises(ValueError, match="shape"):
        ch2.perturbed([np.ones((2, 3))], 0.1, rng)


def test_linear_part_is_the_odd_part_of_a_two_layer_network():
    """f(x) − f(−x) = 2 β·x for a bias-free leaky network (activation split)."""
    gen = torch.Generator().manual_seed(0)
    net = lin.models.MLP(4, 7, 1, activation="prelu", ensemble=3, generator=gen)
    alphas = np.array([0.0, 0.3, 1.0])
    with torch.no_grad():
        net.slopes[0].copy_(torch.tensor(alphas)[:, None].expand(3, 7))
    x = torch.randn(10, 4, generator=gen, dtype=torch.float64)
    with torch.no_grad():
        odd = (net(x) - net(-x))[..., 0].numpy() / 2
    w1, w2 = net.numpy_weights()
    beta = ch2.linear_part(w1, w2[:, 0, :], alphas)
    assert np.abs(odd - np.einsum("ed,nd->en", beta, x.numpy())).max() < 1e-12
    with pytest.raises(ValueError, match="alpha"):
        ch2.linear_part(w1, w2[:, 0, :], 2.0)
    with pytest.raises(ValueError, match="fit"):
        ch2.linear_part(w1, w2[:, 0, :3], 0.0)


def test_hard_margin_direction_meets_the_kkt_conditions():
    rng = np.random.default_rng(3)
    teacher = rng.standard_normal(4)
    x = rng.standard_normal((60, 4))
    x = x[np.abs(x @ teacher) > 0.2]
    y = np.sign(x @ teacher)
    d = ch2.hard_margin_direction(x, y)
    assert np.linalg.norm(d) == pytest.approx(1.0)
    margins = y * (x @ d)
    assert margins.min() > 0
    # the direction maximises the smallest margin: random nearby directions do no better
    for _ in range(200):
        e = d + 0.01 * rng.standard_normal(4)
        assert (y * (x @ e)).min() / np.linalg.norm(e) <= margins.min() + 1e-7
    # KKT: β̂ is a non-negative combination of the support vectors y_n x_n
    support = margins < margins.min() * (1 + 1e-6)
    coef, res = __import__("scipy.optimize", fromlist=["nnls"]).nnls((y[support, None] * x[support]).T, d)
    assert res < 1e-6


def test_separable_through_origin():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((40, 3))
    assert ch2.separable_through_origin(x, np.sign(x @ np.array([1.0, -2.0, 0.5])))
    assert not ch2.separable_through_origin(x, np.sign(x.prod(1)))
    with pytest.raises(ValueError, match="separable"):
        ch2.hard_margin_direction(x, np.sign(x.prod(1)))


def test_leaky_stuck_fraction_matches_a_direct_fit():
    from linearity import ch02_linear_dynamics as ch
    z = np.random.default_rng(0).standard_normal(2000)
    z = np.concatenate([z, -z]) / np.sqrt(np.mean(z**2))          # symmetric, E z² = 1
    for alpha in (0.0, 0.2, 0.5, 1.0):
        s = np.maximum(z, alpha * z)
        k = (s @ z) / (s @ s)                                       # the best K σ_α(z) for y = z
        loss = 0.5 * np.mean((k * s - z) ** 2)
        assert loss / (0.5 * np.mean(z**2)) == pytest.approx(ch.leaky_stuck_fraction(alpha), abs=1e-12)
    assert ch.leaky_stuck_fraction(0.2) == pytest.approx(0.3077, abs=1e-4)
    with pytest.raises(ValueError):
        ch.leaky_stuck_fraction(1.5)


def test_power_law_exponent_and_mirror_distance():
    from linearity import ch02_linear_dynamics as ch
    n = np.array([100, 400, 1600, 6400])
    values = np.stack([3.0 * n**-1.0, 0.5 * n**-0.5], 1)
    assert ch.power_law_exponent(n, values) == pytest.approx([1.0, 0.5])
    assert float(ch.power_law_exponent(n, values[:, 0])) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="sizes"):
        ch.power_law_exponent([1, 1, 2], values[:3])
    with pytest.raises(ValueError, match="values"):
        ch.power_law_exponent(n, -values)
    w1 = np.random.default_rng(1).standard_normal((2, 3, 4))
    w2 = np.random.default_rng(2).standard_normal((2, 5, 3))
    mirrored1, mirrored2 = np.concatenate([w1, -w1], 1), np.concatenate([w2, -w2], 2)
    assert np.all(ch.mirror_distance(mirrored1, mirrored2) == 0)
    twin1, twin2 = np.concatenate([w1, w1], 1), np.concatenate([w2, w2], 2)
    assert ch.mirror_distance(twin1, twin2) == pytest.approx([np.sqrt(2)] * 2)   # ‖2W‖ / ‖(W, W)‖ = √2
    with pytest.raises(ValueError, match="w1"):
        ch.mirror_distance(w1, w2)


def test_normalised_margin():
    from linearity import ch02_linear_dynamics as ch
    x = np.array([[1.0, 0.0], [0.0, 2.0]])
    y = np.array([1.0, 1.0])
    assert ch.normalised_margin(np.array([1.0, 1.0]), x, y) == pytest.approx(1 / np.sqrt(2))
    assert ch.normalised_margin(np.array([2.0, 2.0]), x, y) == pytest.approx(1 / np.sqrt(2))   # scale-free
    with pytest.raises(ValueError, match="zero"):
        ch.normalised_margin(np.zeros(2), x, y)
