"""Tests of ch04_low_rank: each fails if the equation of chapter 4 it checks is broken."""

import numpy as np
import pytest
import torch

import linearity as lin
from linearity import ch04_low_rank as inv


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def separable(n=30, d=5, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d))
    return torch.tensor(x), torch.tensor(np.sign(x @ rng.standard_normal(d)))


def test_conserved_matrix_formula():
    rng = np.random.default_rng(0)
    w1, w2, w3 = rng.standard_normal((4, 3)), rng.standard_normal((5, 4)), rng.standard_normal((1, 5))
    c1, c2 = inv.conserved_matrices([w1, w2, w3])
    assert np.allclose(c1, w2.T @ w2 - w1 @ w1.T)
    assert np.allclose(c2, w3.T @ w3 - w2 @ w2.T)
    assert c1.shape == (4, 4) and c2.shape == (5, 5)


@pytest.mark.parametrize("eta", [0.02, 0.005])
def test_linear_network_conserves_c_to_within_a_twentieth_of_eta(eta):
    x, y = separable()
    m = lin.models.MLP(5, 8, 1, depth=3, activation="linear", init_scale=0.5, generator=gen())
    w0 = [w.copy() for w in m.numpy_weights()]
    c0 = inv.conserved_matrices(w0)
    lin.train.fit(m, x, y, lr=eta, steps=int(2 / eta), loss="logistic")
    c1 = inv.conserved_matrices(m.numpy_weights())
    moved = max(np.abs(a - b).max() for a, b in zip(c1, c0))
    # the weights themselves move by O(1) while C moves by O(η)
    assert max(np.abs(w - v).max() for w, v in zip(m.numpy_weights(), w0)) > 0.1
    assert moved < 0.05 * eta


def test_drift_is_linear_in_eta_at_fixed_time():
    x, y = separable(seed=1)
    drifts = []
    for eta in (0.08, 0.02):
        m = lin.models.MLP(5, 8, 1, depth=3, activation="linear", init_scale=0.5, generator=gen(3))
        c0 = inv.conserved_matrices(m.numpy_weights())
        lin.train.fit(m, x, y, lr=eta, steps=int(4 / eta), loss="logistic")
        drifts.append(max(inv.drift(a, b) for a, b in zip(inv.conserved_matrices(m.numpy_weights()), c0)))
    assert 3.0 < drifts[0] / drifts[1] < 5.5


def test_relu_full_matrix_not_conserved_but_diagonal_is():
    x, y = separable(seed=2)
    m = lin.models.MLP(5, 10, 1, depth=2, activation="relu", generator=gen(4))
    c0 = inv.conserved_matrices(m.numpy_weights())[0]
    lin.train.fit(m, x, y, lr=0.01, steps=300, loss="logistic")
    c1 = inv.conserved_matrices(m.numpy_weights())[0]
    assert inv.drift(c1, c0, "diag") < 1e-3
    assert inv.drift(c1, c0, "offdiag") > 100 * inv.drift(c1, c0, "diag")


def test_stable_sets_match_masks_and_block_is_conserved():
    rng = np.random.default_rng(5)
    u = rng.uniform(0, 1, (30, 4))
    xs = np.hstack([u, np.ones((30, 1))])
    x, y = torch.tensor(xs), torch.tensor(np.sign((u - 0.5) @ rng.standard_normal(4)))
    m = lin.models.MLP(5, 30, 1, depth=2, activation="relu", generator=gen(6))
    stable = inv.StableSets(x, start=0)
    lin.train.fit(m, x, y, lr=0.01, steps=0, loss="logistic", callback=stable)
    (s0,) = stable.sets()
    (mask,) = inv.activation_masks(m.numpy_weights(), xs)
    assert list(s0) == list(np.nonzero(mask.all(0))[0]) and len(s0) >= 2
    stable = inv.StableSets(x, start=0)
    c0 = inv.conserved_matrices(m.numpy_weights())[0]
    lin.train.fit(m, x, y, lr=0.01, steps=200, loss="logistic", callback=stable)
    (s,) = stable.sets()
    assert set(s) <= set(s0) and len(s) >= 2
    c1 = inv.conserved_matrices(m.numpy_weights())[0]
    assert inv.drift(inv.submatrix(c1, s), inv.submatrix(c0, s)) < 1e-4
    assert inv.drift(c1, c0, "offdiag") > 1e-3


def test_gap_exponent_tells_a_growing_top_direction_from_a_matrix_that_grows_whole():
    rng = np.random.default_rng(3)
    q, _ = np.linalg.qr(rng.standard_normal((5, 5)))
    r, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    w = lambda s: q[:, :4] @ np.diag(s) @ r.T
    assert abs(inv.gap_exponent(w([1.0, 0.5, 0.2, 0.1]), w([3.0, 0.5, 0.2, 0.1]))) < 1e-10   # σ₂ held: 0
    assert np.isclose(inv.gap_exponent(w([1.0, 0.5, 0.2, 0.1]), 3 * w([1.0, 0.5, 0.2, 0.1])), 1.0)   # shape kept: 1
    assert np.isclose(inv.gap_exponent(w([1.0, 0.5, 0.2, 0.1]), w([2.0, 1.0 * 2 ** 0.5, 0.2, 0.1])), 1.5)
    assert np.isnan(inv.gap_exponent(w([1.0, 0.5, 0.2, 0.1]), w([1.0, 0.9, 0.2, 0.1])))   # no growth: undecided
    assert np.isnan(inv.gap_exponent(w([1.0, 0.5, 0.2, 0.1]), w([0.99, 0.51, 0.2, 0.1])))  # σ₁ shrinks: undecided
    assert np.isnan(inv.gap_exponent(w([1.0, 0.5, 0.2, 0.1]), w([1.04, 0.5, 0.2, 0.1])))   # below min_growth
    assert abs(inv.gap_exponent(w([1.0, 0.5, 0.2, 0.1]), w([1.04, 0.5, 0.2, 0.1]), min_growth=1.03)) < 1e-10
    with pytest.raises(ValueError, match="two singular values"):
        inv.gap_exponent(np.ones((1, 3)), np.ones((1, 3)))
    with pytest.raises(ValueError, match="min_growth"):
        inv.gap_exponent(w([1.0, 0.5, 0.2, 0.1]), w([2.0, 0.5, 0.2, 0.1]), min_growth=1.0)


def test_rank_gap_and_no_slack_bound_margin():
    rng = np.random.default_rng(7)
    assert inv.rank_gap(np.outer(rng.standard_normal(4), rng.standard_normal(3))) < 1e-20
    w = rng.standard_normal((4, 3))
    s = np.linalg.svd(w, compute_uv=False)
    assert np.isclose(inv.rank_gap(w), (s[1:] ** 2).sum())
    # weights with a one-row output layer against their own C: the bound `lowrank-weyl-layers` holds (Weyl)
    for seed in range(20):
        r = np.random.default_rng(seed)
        ws = [r.standard_normal((6, 3)), r.standard_normal((5, 6)), r.standard_normal((1, 5))]
        assert (inv.bound_margin(ws, inv.conserved_matrices(ws)) >= -1e-12).all()
    # ... and, with no slack, fails against the C of unrelated weights: the check can fail
    failed = 0
    for seed in range(20):
        r = np.random.default_rng(100 + seed)
        ws = [r.standard_normal((6, 3)), r.standard_normal((5, 6)), r.standard_normal((1, 5))]
        other = [0.1 * r.standard_normal((6, 3)), 0.1 * r.standard_normal((5, 6)), r.standard_normal((1, 5))]
        failed += int((inv.bound_margin(ws, inv.conserved_matrices(other)) < 0).any())
    assert failed == 20


def test_bias_version_of_the_invariant_is_conserved_and_the_plain_one_is_not():
    # a linear network with biases: C_k − b_k b_kᵀ is conserved (lowrank-conserved-bias), C_k is not
    x, y = separable(seed=4)
    m = lin.models.MLP(5, 6, 1, depth=3, activation="linear", bias=True, init_scale=0.5, generator=gen(8))
    with torch.no_grad():
        for b in m.biases:
            b.normal_(generator=gen(9))
    biases = lambda: [b[0].detach().numpy().copy() for b in m.biases]
    w0, b0 = [w.copy() for w in m.numpy_weights()], biases()
    lin.train.fit(m, x, y, lr=0.005, steps=400, loss="logistic")
    w1, b1 = m.numpy_weights(), biases()
    with_b = max(inv.drift(a, c) for a, c in zip(inv.conserved_matrices(w1, b1), inv.conserved_matrices(w0, b0)))
    plain = max(inv.drift(a, c) for a, c in zip(inv.conserved_matrices(w1), inv.conserved_matrices(w0)))
    assert with_b < 1e-3 and plain > 50 * with_b
    # zero biases give back the plain matrices
    zeros = [np.zeros(w.shape[0]) for w in w0]
    assert all(np.array_equal(a, c) for a, c in zip(inv.conserved_matrices(w0, zeros), inv.conserved_matrices(w0)))
    with pytest.raises(ValueError, match="biases"):
        inv.conserved_matrices(w0, b0[:-1])


def test_stable_sets_of_an_ensemble_member_match_that_member():
    rng = np.random.default_rng(5)
    xs = np.hstack([rng.uniform(0, 1, (30, 4)), np.ones((30, 1))])
    x = torch.tensor(xs)
    m = lin.models.MLP(5, 30, 1, depth=2, activation="relu", ensemble=2, generator=gen(6))
    for e in range(2):
        st = inv.StableSets(x, start=0, member=e)
        st(0, m)
        (mask,) = inv.activation_masks([w[e] for w in m.numpy_weights()], xs)
        assert list(st.sets()[0]) == list(np.nonzero(mask.all(0))[0])
    # one callback for every member gives the same sets and counts
    every, single = inv.StableSets(x, start=0, member=None), [inv.StableSets(x, start=0, member=e) for e in range(2)]
    for step in range(2):
        every(step, m)
        for st in single:
            st(step, m)
    for e in range(2):
        assert list(every.sets(e)[0]) == list(single[e].sets()[0])
        assert every.changed_of(e) == single[e].changed
    with pytest.raises(ValueError, match="member"):
        every.sets()


def test_residual_net_forward_and_its_conserved_balances():
    rng = np.random.default_rng(11)
    xs = np.hstack([rng.uniform(0, 1, (30, 4)), np.ones((30, 1))])
    x, y = torch.tensor(xs), torch.tensor(np.sign(rng.standard_normal(30)))
    m = inv.ResidualNet(5, 8, 12, init_scale=0.5, generator=gen(12))
    v1, v2, w, w_out = [p[0].detach().numpy().copy() for p in m.weights]
    r = xs + np.maximum(xs @ v1.T, 0) @ v2.T
    assert np.allclose(m(x).detach().numpy()[:, 0], np.maximum(r @ w.T, 0) @ w_out[0])
    c0 = inv.conserved_matrices([p[0].detach().numpy() for p in m.weights])
    lin.train.fit(m, x, y, lr=0.01, steps=300, loss="logistic")
    c1 = inv.conserved_matrices([p[0].detach().numpy() for p in m.weights])
    inside, at_sum, last = (inv.drift(a, b, "diag") for a, b in zip(c1, c0))
    assert max(inside, last) < 1e-4 and at_sum > 100 * max(inside, last)
    with pytest.raises(ValueError, match="block_width"):
        inv.ResidualNet(5, 0, 3)
    with pytest.raises(ValueError, match="head"):
        inv.ResidualNet(5, 4, 3, head="tanh")


def test_residual_net_linear_head():
    """head="linear": f = w·W r, and the whole last-layer C = wᵀw − WWᵀ is conserved (only O(η²) drift), the balance at the sum is not."""
    torch.manual_seed(0)
    xs = np.abs(np.random.default_rng(3).standard_normal((20, 5)))
    x, y = torch.tensor(xs), torch.tensor(np.where(xs[:, 0] > xs[:, 1], 1.0, -1.0))
    m = inv.ResidualNet(5, 8, 12, init_scale=0.5, generator=gen(13), head="linear")
    v1, v2, w, w_out = [p[0].detach().numpy().copy() for p in m.weights]
    r = xs + np.maximum(xs @ v1.T, 0) @ v2.T
    assert np.allclose(m(x).detach().numpy()[:, 0], r @ w.T @ w_out[0])
    c0 = inv.conserved_matrices([p[0].detach().numpy() for p in m.weights])
    lin.train.fit(m, x, y, lr=0.01, steps=300, loss="logistic")
    c1 = inv.conserved_matrices([p[0].detach().numpy() for p in m.weights])
    assert inv.drift(c1[2], c0[2]) < 1e-3 and inv.drift(c1[1], c0[1], "diag") > 100 * inv.drift(c1[2], c0[2])


def test_bad_arguments():
    with pytest.raises(ValueError, match="weights"):
        inv.conserved_matrices([np.zeros((2, 3))])
    with pytest.raises(ValueError, match="chain"):
        inv.conserved_matrices([np.zeros((2, 3)), np.zeros((1, 4))])
    with pytest.raises(ValueError, match="part"):
        inv.drift(np.zeros((2, 2)), np.zeros((2, 2)), part="upper")
    with pytest.raises(ValueError, match="s must"):
        inv.submatrix(np.zeros((2, 2)), [3])
    with pytest.raises(ValueError, match="one row"):
        inv.bound_margin([np.eye(2), np.eye(2)], [np.zeros((2, 2))])
    with pytest.raises(ValueError, match="start"):
        inv.StableSets(torch.zeros(2, 2), start=-1)
