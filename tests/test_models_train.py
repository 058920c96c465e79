"""Unit tests of models.py and train.py: each can fail if the equation it checks is broken."""

import numpy as np
import pytest
import torch

import linearity as lin
from linearity.train import losses


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("alpha", [0.0, 0.3, 1.0])
def test_sigma_split_into_linear_and_even_parts(alpha):
    z = torch.linspace(-3, 3, 101, dtype=torch.float64)
    expected = (1 + alpha) / 2 * z + (1 - alpha) / 2 * z.abs()
    assert torch.allclose(lin.models.sigma(z, alpha), expected, atol=1e-15)


def test_two_layer_odd_part_is_linear():
    m = lin.models.MLP(3, 50, 2, activation="leaky", alpha=0.2, generator=gen())
    x = torch.randn(20, 3, dtype=torch.float64, generator=gen(1))
    w1, w2 = m.numpy_weights()
    odd = (m(x) - m(-x)).detach().numpy()
    assert np.abs(odd - 1.2 * x.numpy() @ (w2 @ w1).T).max() < 1e-12


def test_relu_network_is_not_linear():
    m = lin.models.MLP(3, 50, 1, generator=gen())
    x = torch.randn(20, 3, dtype=torch.float64, generator=gen(1))
    assert (m(x) + m(-x)).abs().max() > 1e-3  # even part present: the test above is not vacuous


@pytest.mark.parametrize("depth", [2, 3, 4])
def test_mirrored_network_is_linear_at_init(depth):
    m = lin.models.MLP(4, 6, 2, depth=depth, mirrored=True, activation="leaky", alpha=0.5, generator=gen())
    x = torch.randn(30, 4, dtype=torch.float64, generator=gen(2))
    assert (m(x) + m(-x)).abs().max() < 1e-12  # odd
    # linear: f(x1 + x2) = f(x1) + f(x2)
    assert (m(x[:15] + x[15:]) - m(x[:15]) - m(x[15:])).abs().max() < 1e-12


def test_init_scale_sets_entry_variance():
    m = lin.models.MLP(400, 300, 1, init_scale=0.5, generator=gen())
    assert abs(m.weights[0].std().item() - 0.5 / 20) < 1e-3


def test_bias_and_prelu_parameters():
    m = lin.models.MLP(2, 8, 1, depth=3, activation="prelu", alpha=0.25, bias=True, generator=gen())
    assert [tuple(b.shape) for b in m.biases] == [(1, 8), (1, 8), (1, 1)]
    assert all(torch.all(s == 0.25) for s in m.slopes)


def test_ensemble_members_are_independent_networks():
    e = lin.models.MLP(3, 5, 1, ensemble=4, generator=gen())
    x = torch.randn(7, 3, dtype=torch.float64)
    out = e(x)
    assert out.shape == (4, 7, 1)
    w1, w2 = e.weights[0][2], e.weights[1][2]
    assert torch.allclose(out[2], torch.relu(x @ w1.T) @ w2.T)


@pytest.mark.parametrize("kwargs, name", [
    (dict(depth=0), "depth"), (dict(width=0), "width"), (dict(alpha=1.5), "alpha"),
    (dict(alpha=-0.1), "alpha"), (dict(init_scale=-1.0), "init_scale"),
    (dict(activation="tanh"), "activation"), (dict(mirrored=True, width=5), "width"),
    (dict(width=[4, 4], depth=2), "width"),
])
def test_bad_model_arguments_name_the_argument(kwargs, name):
    args = dict(d_in=2, width=4, d_out=1, depth=2) | kwargs
    with pytest.raises(ValueError, match=name):
        lin.models.MLP(args.pop("d_in"), args.pop("width"), args.pop("d_out"), **args)


def regression_problem(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((64, 3))
    y = x @ np.array([[1.0], [-2.0], [0.5]])
    return torch.tensor(x), torch.tensor(y)


def test_gradient_descent_matches_a_hand_written_step():
    x, y = regression_problem()
    m = lin.models.MLP(3, 4, 1, activation="linear", generator=gen())
    w1, w2 = (w.detach().clone()[0] for w in m.weights)
    lin.train.fit(m, x, y, lr=0.1, steps=1)
    r = x @ w1.T @ w2.T - y                        # residual, L = |r|²/(2n)
    g2 = (r.T @ (x @ w1.T)) / len(x)
    g1 = (w2.T @ r.T @ x) / len(x)
    assert torch.allclose(m.weights[1][0], w2 - 0.1 * g2, atol=1e-14)
    assert torch.allclose(m.weights[0][0], w1 - 0.1 * g1, atol=1e-14)


def test_training_records_a_decreasing_loss_and_weights():
    x, y = regression_problem()
    m = lin.models.MLP(3, 16, 1, generator=gen())
    h = lin.train.fit(m, x, y, lr=0.05, steps=300, record_every=100, record_weights=[0, 300])
    assert list(h.steps) == [0, 100, 200, 300]
    assert h.loss[-1] < 0.2 * h.loss[0]
    assert set(h.weights) == {0, 300} and not np.allclose(h.weights[0][0], h.weights[300][0])


def test_ensemble_learning_rates_act_per_network():
    x, y = regression_problem()
    e = lin.models.MLP(3, 8, 1, ensemble=2, activation="linear", generator=gen())
    single = lin.models.MLP(3, 8, 1, activation="linear", generator=gen())
    with torch.no_grad():
        for ws, we in zip(single.weights, e.weights):
            ws.copy_(we[1:2])
    he = lin.train.fit(e, x, y, lr=[0.01, 0.05], steps=50)
    hs = lin.train.fit(single, x, y, lr=0.05, steps=50)
    assert np.allclose(he.loss[:, 1], hs.loss, atol=1e-12)
    assert not np.allclose(he.loss[:, 0], he.loss[:, 1])


def test_divergence_raises_with_step_and_learning_rate():
    x, y = regression_problem()
    m = lin.models.MLP(3, 16, 1, generator=gen())
    with pytest.raises(lin.train.TrainingDiverged, match=r"step \d+ with lr=100"):
        lin.train.fit(m, x, y * 1e3, lr=100.0, steps=500)


@pytest.mark.parametrize("kwargs, name", [
    (dict(lr=0.0), "lr"), (dict(lr=float("nan")), "lr"), (dict(steps=-1), "steps"),
    (dict(loss="hinge"), "loss"), (dict(optimizer="sgd"), "optimizer"),
])
def test_bad_training_arguments_name_the_argument(kwargs, name):
    x, y = regression_problem()
    m = lin.models.MLP(3, 4, 1, generator=gen())
    with pytest.raises(ValueError, match=name):
        lin.train.fit(m, x, y, **(dict(lr=0.1, steps=1) | kwargs))


def test_adam_trains_too():
    x, y = regression_problem()
    m = lin.models.MLP(3, 16, 1, generator=gen())
    h = lin.train.fit(m, x, y, lr=0.01, steps=200, optimizer="adam")
    assert h.loss[-1] < 0.1 * h.loss[0]


def test_classification_losses():
    pred = torch.tensor([[[2.0], [-1.0]]], dtype=torch.float64)
    y = torch.tensor([1.0, 1.0], dtype=torch.float64)
    assert torch.allclose(losses(pred, y, "logistic"), torch.log1p(torch.exp(-pred[..., 0])).mean(-1))
    assert torch.allclose(losses(pred, y, "exp"), torch.exp(-pred[..., 0]).mean(-1))
    logits = torch.tensor([[[0.0, 1.0], [2.0, 0.0]]], dtype=torch.float64)
    ce = losses(logits, torch.tensor([1, 0]), "cross_entropy")
    assert torch.allclose(ce, torch.nn.functional.cross_entropy(logits[0], torch.tensor([1, 0])).reshape(1))


def test_half_time_interpolates():
    steps = np.array([0, 10, 20])
    assert lin.train.half_time(steps, np.array([1.0, 0.8, 0.4])) == pytest.approx(17.5)
    assert np.isnan(lin.train.half_time(steps, np.array([1.0, 0.9, 0.8])))


@pytest.mark.parametrize("activation, alpha", [("relu", 0.0), ("leaky", 0.3)])
def test_activations_match_sigma_in_values_and_gradients(activation, alpha):
    """The fast relu / leaky_relu path of MLP equals σ_α of `sigma`, also at z = 0 exactly."""
    m = lin.models.MLP(3, 8, 1, activation=activation, alpha=alpha, generator=gen())
    z = torch.tensor([-2.0, -0.0, 0.0, 1e-300, 3.0], dtype=torch.float64, requires_grad=True)
    z2 = z.detach().clone().requires_grad_()
    a, b = m._act(z, None), lin.models.sigma(z2, alpha)
    assert torch.equal(a, b)
    a.sum().backward(), b.sum().backward()
    assert torch.equal(z.grad, z2.grad)


@pytest.mark.parametrize("penalty", [None, lambda step, m: 0.01 * (1 - m.slopes[0]).sum(-1)])
def test_chunked_training_equals_whole_ensemble(penalty):
    x, y = regression_problem()
    models = [lin.models.MLP(3, 6, 1, activation="prelu", bias=True, ensemble=5, generator=gen()) for _ in range(2)]
    runs = [lin.train.fit(m, x, y, lr=0.01, steps=30, optimizer="adam", penalty=penalty, chunk=c)
            for m, c in zip(models, (None, 2))]
    assert np.allclose(runs[0].loss, runs[1].loss, rtol=1e-12, atol=0)
    for p, q in zip(*(m.parameters() for m in models)):
        assert torch.allclose(p, q, rtol=1e-10, atol=1e-14)


def test_chunk_needs_an_ensemble_and_shared_inputs():
    x, y = regression_problem()
    with pytest.raises(ValueError, match="chunk"):
        lin.train.fit(lin.models.MLP(3, 4, 1, generator=gen()), x, y, lr=0.1, steps=1, chunk=2)
    with pytest.raises(ValueError, match="chunk"):
        lin.train.fit(lin.models.MLP(3, 4, 1, ensemble=2, generator=gen()), x, y, lr=0.1, steps=1, chunk=0)
