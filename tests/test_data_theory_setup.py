"""Unit tests of data.py, theory.py, metrics.py, claims.py and setup.py."""

import importlib

import numpy as np
import pytest
import torch

import linearity as lin
from linearity import data, metrics, theory
from linearity.setup import declared_and_injected

SETUP_MODULE = importlib.import_module("linearity.setup")   # `lin.setup` is the function


def test_symmetrize_gives_symmetric_data_and_a_sample_does_not():
    rng = np.random.default_rng(0)
    x = data.gaussian(100, 2, rng)
    y = np.tanh(x[:, :1])
    xs, ys = data.symmetrize(x, y)
    assert data.is_symmetric(xs, ys)
    assert not data.is_symmetric(x, y)


def test_whiten_is_exact():
    x = data.gaussian(200, 3, np.random.default_rng(1)) @ np.array([[3, 0, 0], [1, 1, 0], [0, 2, 0.1]])
    xw = data.whiten(x)
    assert np.abs(xw.T @ xw / len(xw) - np.eye(3)).max() < 1e-12
    with pytest.raises(ValueError, match="full-rank"):
        data.whiten(np.zeros((10, 2)))


def test_teacher_has_the_asked_singular_values():
    m, u, s, v = data.teacher([3.0, 2.0, 1.0], 5, 4, np.random.default_rng(2))
    assert np.allclose(np.linalg.svd(m, compute_uv=False)[:3], [3, 2, 1])
    assert np.allclose(u.T @ u, np.eye(3)) and np.allclose(v.T @ v, np.eye(3))
    with pytest.raises(ValueError, match="singular_values"):
        data.teacher([1, 1, 1, 1, 1], 3, 3, np.random.default_rng(0))


def test_ols_recovers_a_linear_map_and_its_loss():
    rng = np.random.default_rng(3)
    x = data.gaussian(300, 3, rng)
    w = rng.standard_normal((2, 3))
    noise = 0.1 * rng.standard_normal((300, 2))
    y = x @ w.T + noise
    w_hat = theory.ols_fit(x, y)
    assert np.abs(w_hat - w).max() < 0.05
    assert theory.ols_loss(x, y) == pytest.approx(0.5 * ((y - x @ w_hat.T) ** 2).sum(1).mean())
    assert theory.ols_loss(x, x @ w.T) < 1e-25
    wb, b = theory.ols_fit(x, y + 3.0, intercept=True)
    assert np.allclose(b, 3.0, atol=0.05)


def test_even_odd_parts():
    x = np.linspace(-2, 2, 9)
    even, odd = theory.even_odd(x**3 + x**2, (-x) ** 3 + (-x) ** 2)
    assert np.allclose(even, x**2) and np.allclose(odd, x**3)


def test_spirals_and_digits():
    rng = np.random.default_rng(4)
    x, y = data.spirals(100, 2.0, 0.0, rng)
    assert x.shape == (200, 2) and set(y) == {0, 1}
    assert np.abs(np.linalg.norm(x, axis=1)).max() <= 1.0 + 1e-12
    xtr, ytr, xte, yte = data.digits(rng)
    assert xtr.shape[1] == 64 and len(set(ytr)) == 10 and abs(len(xte) / (len(xtr) + len(xte)) - 0.3) < 0.01


def test_metrics():
    w = np.diag([4.0, 1.0, 0.0])
    assert metrics.sv_ratio(w) == pytest.approx(0.25)
    a = np.outer([1.0, 0, 0], [0, 1.0, 0])         # u1 = e1
    b = np.outer([0, 0, 1.0], [1.0, 0, 0])         # v1 = e1
    assert metrics.alignment(b, a) == pytest.approx(1.0)
    assert metrics.alignment(np.outer([1.0, 0, 0], [0, 0, 1.0]), a) == pytest.approx(0.0)


@pytest.mark.parametrize("kwargs, name", [
    (dict(seed=-1), "seed"), (dict(seed=1.5), "seed"), (dict(seed="1"), "seed"), (dict(seed=True), "seed"),
    (dict(seed=2**32), "seed"),
    (dict(scale="nonsense"), "scale"), (dict(device="tpu"), "device"),
])
def test_setup_rejects_bad_parameters(kwargs, name):
    with pytest.raises(ValueError, match=name):
        lin.setup(None, **kwargs)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_setup_rejects_cuda_without_gpu():
    with pytest.raises(ValueError, match="device='cuda'.*no CUDA GPU"):
        lin.setup(None, device="cuda")


def test_setup_reads_the_parameters_cell_and_papermills_injection():
    history = ["", "import numpy as np",
               "# parameters\nseed = 0\nscale = 'ci'\ndevice = 'cpu'\nsymmetrize = True\ninit_scale = 0.1",
               "# Parameters\nseed = 3\n_seed = 4\nlin = 1\n", "import linearity as lin"]
    declared, injected = declared_and_injected(history)
    assert declared == {"seed": 0, "scale": "ci", "device": "cpu", "symmetrize": True, "init_scale": 0.1}
    assert injected == {"seed", "_seed", "lin"}
    # a later run of the parameters cell starts afresh
    assert declared_and_injected(history + [history[2]])[1] == set()


@pytest.mark.parametrize("value, ok", [(False, True), (1, False), ("yes", False)])
def test_setup_keeps_the_type_of_a_chapter_parameter(monkeypatch, value, ok):
    cell = "# parameters\nseed = 0\nscale = 'ci'\ndevice = 'cpu'\nsymmetrize = True"
    monkeypatch.setattr(SETUP_MODULE, "_history", lambda: [cell, f"# Parameters\nsymmetrize = {value!r}\n"])
    ns = {"seed": 0, "scale": "ci", "device": "cpu", "symmetrize": value}
    if ok:
        assert lin.setup(ns).params == {"symmetrize": value}
    else:
        with pytest.raises(ValueError, match="symmetrize must be a bool like its default True"):
            lin.setup(ns)


def test_setup_refuses_injected_names_that_are_not_parameters(monkeypatch):
    cell = "# parameters\nseed = 0\nscale = 'ci'\ndevice = 'cpu'"
    monkeypatch.setattr(SETUP_MODULE, "_history", lambda: [cell, "# Parameters\nwidht = 5\n"])
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) \['widht'\]"):
        lin.setup({"seed": 0, "scale": "ci", "device": "cpu", "widht": 5})


def test_setup_seeds_and_picks():
    run = lin.setup(None, seed=3, scale="paper")
    assert run.pick(ci=1, paper=2) == 2 and torch.get_num_threads() == 1
    assert run.rng(1).integers(1000) == lin.setup(None, seed=3).rng(1).integers(1000)
    assert run.rng(1).integers(1000) != run.rng(2).integers(1000)


def test_claims_assert_and_report(capsys):
    claims = lin.claims.Claims()
    claims.check("a_claim", 0.5, lt=1.0)
    claims.check("b_claim", 1024 / 257, approx=(1024 / 257, 1e-9))
    claims.summary()
    bad = lin.claims.Claims()
    bad.check("too_big", 3.0, le=2.0)
    with pytest.raises(AssertionError, match="too_big"):
        bad.summary()
    with pytest.raises(ValueError, match="bound"):
        bad.check("no_bound", 1.0)
    nan = lin.claims.Claims()
    nan.check("nan_claim", float("nan"), lt=1.0)
    with pytest.raises(AssertionError, match="nan_claim"):
        nan.summary()


def test_a_claim_holds_only_when_its_null_does_not(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, raw=False: shown.append(obj))
    claims = lin.claims.Claims()
    claims.check("falsifiable", 0.05, lt=0.12, null=(0.92, "at initialisation"))
    claims.check("already_at_init", 0.05, lt=0.12, null=(0.08, "at initialisation"))
    claims.check("nan_null", 0.05, lt=0.12, null=(float("nan"), "on an empty set"))
    with pytest.raises(AssertionError, match="already_at_init.*also meets the bound") as failed:
        claims.summary()
    assert "falsifiable" not in str(failed.value) and "nan_null" in str(failed.value)
    rows = {c["name"]: c for c in shown[0]["application/json"]["claims"]}
    assert rows["falsifiable"]["null"] == {"value": "0.92", "label": "at initialisation", "holds": False}
    assert rows["falsifiable"]["passed"] and not rows["already_at_init"]["passed"]
    assert rows["already_at_init"]["value_holds"] and rows["already_at_init"]["null"]["holds"]
    assert "0.92 (at initialisation)" in shown[0]["text/plain"] and "at initialisation" in shown[0]["text/html"]
    with pytest.raises(ValueError, match="null must be"):
        claims.check("bad_null", 0.05, lt=0.12, null=0.9)


def test_verdicts_are_stored_with_the_claims(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, raw=False: shown.append(obj))
    claims = lin.claims.Claims()
    claims.check("a_claim", 0.5, lt=1.0)
    claims.verdict("partly reproduced", "the odd part reproduces (0.5 < 1); the even part does not")
    claims.summary()
    assert shown[0]["application/json"]["verdicts"] == [
        {"status": "partly reproduced", "text": "the odd part reproduces (0.5 < 1); the even part does not"}]
    assert "verdict: partly reproduced." in shown[0]["text/plain"]
    with pytest.raises(ValueError, match="one of"):
        claims.verdict("mostly", "text")
    with pytest.raises(ValueError, match="evidence"):
        claims.verdict("reproduced", "  ")


def test_odd_bump_is_odd_homogeneous_and_not_linear():
    x = data.gaussian(500, 2, np.random.default_rng(5))
    g = data.odd_bump(x)
    assert np.allclose(data.odd_bump(-x), -g)
    assert np.allclose(data.odd_bump(2.5 * x), 2.5 * g)
    assert theory.ols_loss(*data.symmetrize(x, g)) > 0.01  # no linear map fits it


def test_numbers_are_glued_at_the_precision_they_are_stable_to():
    assert lin.claims.significant(0.95671234) == 0.9567
    assert lin.claims.significant(1.0000172, digits=7) == 1.000017
    # the last digits of a rounding-level number differ between CPUs; its bound does not
    assert lin.claims.below(3.08e-16) == lin.claims.below(4.11e-16) == 1e-12
    assert lin.claims.below(2.3e-7) == 1e-6 and lin.claims.below(0.0) == 1e-12
    assert lin.claims.bound_text(5.9e-15) == "< 1e-12"
    claims = lin.claims.Claims()
    assert claims.check("err", 3e-16, lt=1e-15, tiny=True) == 3e-16           # tested on the exact value
    assert (claims.rows[0].value, claims.rows[0].shown) == (1e-12, "< 1e-12")  # glued and shown as its bound
    claims.check("ratio", 1.0000172, ge=1 - 1e-9, digits=7)
    assert claims.rows[1].shown == "1.000017"


def test_a_figure_with_text_below_nine_pixels_at_the_column_does_not_draw():
    import matplotlib.pyplot as plt

    lin.setup(None)
    fig, ax = plt.subplots(figsize=(11, 3.6))
    ax.plot([0, 1], label="a legend")
    ax.legend()
    fig.canvas.draw()                                   # the book's style: every text ≥ 9 px
    assert lin.plotting.small_text(fig) == []
    ax.set_title("a 7 pt title", fontsize=7)           # a per-figure override: 5.8 px at 660 px
    with pytest.raises(ValueError, match="a 7 pt title"):
        fig.canvas.draw()
    small = plt.figure(figsize=(4, 3), dpi=100)          # narrower than the column: shown at its own size
    assert lin.plotting.displayed_px(small, 9) == pytest.approx(12.5)
    plt.close("all")
