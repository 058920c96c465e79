"""Chapter 4 (low rank): training invariances of bias-free networks (Le & Jegelka 2022).

For f(x) = W_L σ(W_{L−1} ⋯ σ(W_1 x)) trained by gradient flow on any loss, the matrices
(equation `lowrank-conserved` of chapter 4)

    C_k = W_{k+1}ᵀ W_{k+1} − W_k W_kᵀ          (k = 1, …, L−1; size width_k × width_k)

change only through pairs of hidden neurons i, j of layer k whose activation patterns
differ on some training example (equation `lowrank-dc`):

    d/dt [C_k]_ij = −Σ_n c_n (d_i(x_n) − d_j(x_n)) (z_i u_j − u_i z_j)(x_n).

So the diagonal is always conserved, the submatrix C_k[S, S] on a set S of neurons that are
active on every example is conserved, and in a linear network all of C_k is. Under gradient
descent with step η the conserved quantities drift by O(η²) per step.

With a one-row output layer, Weyl's inequality turns the C_k into a bound that holds at every t
(equation `lowrank-weyl-layers`):

    ‖W_k‖_F² − ‖W_k‖₂² ≤ Σ_{j=k}^{L−1} (‖C_j‖₂ − tr C_j),

which for k = L−1 reads ‖W‖_F² − ‖W‖₂² ≤ ‖C‖₂ − tr C. All functions take lists of 2-D numpy
weight matrices [W_1, …, W_L] (one network), except `StableSets`, a training callback.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from .checks import check_choice, check_int
from .metrics import singular_values


def _check_weights(weights: Sequence[np.ndarray]) -> list[np.ndarray]:
    ws = [np.asarray(w, dtype=float) for w in weights]
    if len(ws) < 2 or any(w.ndim != 2 for w in ws):
        raise ValueError(f"weights must be a list of at least two 2-D matrices, got shapes "
                         f"{[np.shape(w) for w in ws]}")
    for k in range(len(ws) - 1):
        if ws[k + 1].shape[1] != ws[k].shape[0]:
            raise ValueError(f"weights do not chain: W_{k + 2} has {ws[k + 1].shape[1]} columns but "
                             f"W_{k + 1} has {ws[k].shape[0]} rows")
    return ws


def conserved_matrices(weights: Sequence[np.ndarray], biases: Sequence[np.ndarray] | None = None) -> list[np.ndarray]:
    """[C_1, …, C_{L−1}] with C_k = W_{k+1}ᵀ W_{k+1} − W_k W_kᵀ (equation `lowrank-conserved` of chapter 4).

    With `biases` [b_1, …, b_L] (z_k = W_k a_{k−1} + b_k), returns the bias version
    C_k = W_{k+1}ᵀ W_{k+1} − W_k W_kᵀ − b_k b_kᵀ (equation `lowrank-conserved-bias`): the
    invariant of the network whose bias is a weight on a constant input, [W_k, b_k].
    """
    ws = _check_weights(weights)
    cs = [ws[k + 1].T @ ws[k + 1] - ws[k] @ ws[k].T for k in range(len(ws) - 1)]
    if biases is None:
        return cs
    bs = [np.asarray(b, dtype=float).reshape(-1) for b in biases]
    if len(bs) != len(ws) or any(b.shape[0] != w.shape[0] for b, w in zip(bs, ws)):
        raise ValueError(f"biases must be one vector per layer with sizes {[w.shape[0] for w in ws]}, "
                         f"got {[b.shape for b in bs]}")
    return [c - np.outer(b, b) for c, b in zip(cs, bs)]


def submatrix(c: np.ndarray, s: Sequence[int]) -> np.ndarray:
    """C[S, S]: the block of a conserved matrix on the neurons S (conserved when S is stable: `lowrank-dc`)."""
    idx = np.array([check_int("s", i, 0, c.shape[0]) for i in s], dtype=int)
    return c[np.ix_(idx, idx)]


def drift(c_t: np.ndarray, c_0: np.ndarray, part: str = "all") -> float:
    """max_ij |C(t) − C(0)|_ij over all entries, the off-diagonal ones or the diagonal."""
    check_choice("part", part, ("all", "offdiag", "diag"))
    d = np.abs(np.asarray(c_t) - np.asarray(c_0))
    if d.size == 0:
        return 0.0
    if part == "diag":
        return float(np.diag(d).max())
    if part == "offdiag":
        if d.shape[0] < 2:
            return 0.0
        d = d[~np.eye(d.shape[0], dtype=bool)]
    return float(d.max())


def rank_gap(w: np.ndarray) -> float:
    """‖W‖_F² − ‖W‖₂² = σ_2² + σ_3² + …: zero exactly when W has rank ≤ 1 (left side of `lowrank-weyl-layers`)."""
    s = singular_values(np.asarray(w, dtype=float))
    return float((s[1:] ** 2).sum())


def gap_exponent(w_0: np.ndarray, w_1: np.ndarray, min_growth: float = 1.05) -> float:
    """log(σ₂(W₁)/σ₂(W₀)) / log(σ₁(W₁)/σ₁(W₀)): how fast the second singular value grows against the first.

    0 when the rank gap holds while σ₁ grows, so that σ₂/σ₁ ∝ 1/σ₁ → 0 (a conserved C[S, S]
    keeps σ₂² between the two largest eigenvalues of −C[S, S], Step 4 of chapter 4); 1 when the
    matrix grows as a whole and keeps its shape. nan unless σ₁ grew by the factor `min_growth`
    at least: without growth the ratio of two small logarithms is noise, and a shrinking σ₁
    would make any exponent look small.
    """
    s_0, s_1 = (singular_values(np.asarray(w, dtype=float)) for w in (w_0, w_1))
    if s_0.size < 2 or s_1.size < 2:
        raise ValueError(f"need matrices with two singular values, got shapes {np.shape(w_0)} and {np.shape(w_1)}")
    if not min_growth > 1:
        raise ValueError(f"min_growth must be > 1, got {min_growth}")
    growth = s_1[0] / s_0[0]
    return float(np.log(s_1[1] / s_0[1]) / np.log(growth)) if growth >= min_growth else float("nan")


def weyl_bound(cs: Sequence[np.ndarray], reference: Sequence[np.ndarray] | None = None) -> np.ndarray:
    """Right side of equation `lowrank-weyl-layers` of chapter 4 for layers k = 1, …, L−1: Σ_{j≥k} (‖C_j‖₂ − tr C_j).

    With `reference` given (the conserved matrices at another time), returns instead the
    largest change of that sum between the two times, Σ_{j≥k} (‖ΔC_j‖₂ + |tr ΔC_j|): how far
    a drift of the invariant can move the bound.
    """
    if reference is None:
        terms = [np.linalg.norm(c, 2) - np.trace(c) for c in cs]
    else:
        if len(reference) != len(cs):
            raise ValueError(f"reference must have {len(cs)} matrices, got {len(reference)}")
        terms = [np.linalg.norm(c - r, 2) + abs(np.trace(c - r)) for c, r in zip(cs, reference)]
    return np.cumsum(np.asarray(terms, dtype=float)[::-1])[::-1]


def bound_margin(weights_t: Sequence[np.ndarray], c_0: Sequence[np.ndarray]) -> np.ndarray:
    """Per hidden layer k, bound_k(C(0)) − rank_gap(W_k(t)): the margin of `lowrank-weyl-layers` with no slack.

    The bound is computed from the conserved matrices `c_0` at another time (the start), the
    rank gap from the weights now; a negative entry is a violation. Exact conservation makes
    every entry ≥ 0 (Weyl); a drift of C can eat at most Σ_{j≥k}(‖ΔC_j‖₂ + |tr ΔC_j|) of it
    (`weyl_bound(c_t, reference=c_0)`). Needs a one-row output layer W_L.
    """
    ws = _check_weights(weights_t)
    if ws[-1].shape[0] != 1:
        raise ValueError(f"the output layer must have one row (a binary classifier), got {ws[-1].shape}")
    if len(c_0) != len(ws) - 1:
        raise ValueError(f"c_0 must have {len(ws) - 1} matrices, got {len(c_0)}")
    lhs = np.array([rank_gap(w) for w in ws[:-1]])
    return weyl_bound(c_0) - lhs


class StableSets:
    """A `lin.train.fit` callback: the neurons of each hidden layer active on every example at every step.

    `StableSets(x, start)` ANDs the activation masks d_i(x_n) = [z_i(x_n) > 0] of each hidden
    layer over all n and all steps ≥ `start`; `.sets()` lists the indices per hidden layer
    (the sets S of equation `lowrank-dc` of chapter 4), `.changed` counts the neurons per layer
    whose pattern changed at some step of the window. For an ensemble, `member` picks the network;
    `member=None` follows every member with one forward pass per step, and `.sets(e)`,
    `.changed_of(e)` then answer for member e.
    """

    def __init__(self, x: torch.Tensor, start: int = 0, member: int | None = 0) -> None:
        check_int("start", start)
        if member is not None:
            check_int("member", member)
        self.x, self.start, self.member = x, start, member
        self.active: list[torch.Tensor] | None = None
        self.first: list[torch.Tensor] | None = None
        self.changed_mask: list[torch.Tensor] | None = None

    @torch.no_grad()
    def __call__(self, step: int, model: torch.nn.Module) -> None:
        if step < self.start:
            return
        zs = model.hidden(self.x)[:-1]   # (E, n, width) per hidden layer
        masks = [(z > 0) if self.member is None else (z[self.member] > 0) for z in zs]
        if self.active is None:
            self.active = [m.all(-2) for m in masks]
            self.first = masks
            self.changed_mask = [torch.zeros_like(a) for a in self.active]
        else:
            self.active = [a & m.all(-2) for a, m in zip(self.active, masks)]
            self.changed_mask = [c | (m != f).any(-2) for c, m, f in zip(self.changed_mask, masks, self.first)]

    def _pick(self, masks: list[torch.Tensor], member: int | None) -> list[torch.Tensor]:
        if masks is None:
            raise ValueError("no step was recorded: train past `start` first")
        if self.member is not None:
            if member not in (None, self.member):
                raise ValueError(f"this callback follows member {self.member} only, got member={member!r}")
            return masks
        if member is None:
            raise ValueError("this callback follows every member: pass member=e")
        return [m[check_int("member", member, 0, masks[0].shape[0])] for m in masks]

    def sets(self, member: int | None = None) -> list[np.ndarray]:
        """Indices of the stably active neurons of each hidden layer (of member e with `member=None` above)."""
        return [torch.nonzero(a).flatten().cpu().numpy() for a in self._pick(self.active, member)]

    def changed_of(self, member: int | None = None) -> list[int]:
        """Per hidden layer, how many neurons changed their activation pattern in the window."""
        return [int(c.sum()) for c in self._pick(self.changed_mask, member)]

    @property
    def changed(self) -> list[int]:
        """Per hidden layer, how many neurons changed their activation pattern in the window."""
        return self.changed_of()


def activation_masks(weights: Sequence[np.ndarray], x: np.ndarray) -> list[np.ndarray]:
    """d_i(x_n) = [z_i(x_n) > 0] of each hidden layer of a bias-free ReLU network, each (n, width)."""
    ws = _check_weights(weights)
    a = np.asarray(x, dtype=float)
    if a.ndim != 2 or a.shape[1] != ws[0].shape[1]:
        raise ValueError(f"x must have shape (n, {ws[0].shape[1]}), got {a.shape}")
    masks = []
    for w in ws[:-1]:
        z = a @ w.T
        masks.append(z > 0)
        a = np.maximum(z, 0.0)
    return masks


class ResidualNet(torch.nn.Module):
    """A bias-free ReLU network with a residual block before its last two layers (chapter 4, "Skip connections").

        r = x + V₂ σ(V₁ x),   f(x) = w · σ(W r)   (head="relu")   or   f(x) = w · W r   (head="linear")

    With head="linear" the last two layers are linear (the scope of Le & Jegelka's skip-connection
    statement, "the last few linear layers"), so wᵀw − WWᵀ is conserved whole (`lowrank-weyl`).

    `weights` is [V₁, V₂, W, w] (the order of the forward pass, so consecutive matrices chain and
    `conserved_matrices` gives the three matrices inside the block, at the sum r and at the last
    hidden layer). `hidden(x)` returns the pre-activations of the two ReLU layers and the output,
    like `models.MLP`, so `lin.train.fit` and `StableSets` take it. Initialisation
    s · N(0, 1/fan_in) per matrix; `ensemble` networks at once.
    """

    def __init__(self, d_in: int, block_width: int, width: int, *, init_scale: float = 1.0,
                 ensemble: int | None = None, generator: torch.Generator | None = None,
                 dtype: torch.dtype = torch.float64, device: str | torch.device = "cpu",
                 head: str = "relu") -> None:
        super().__init__()
        check_choice("head", head, ("relu", "linear"))
        self.head = head
        check_int("d_in", d_in, 1)
        check_int("block_width", block_width, 1)
        check_int("width", width, 1)
        if ensemble is not None:
            check_int("ensemble", ensemble, 1)
        if not init_scale > 0:
            raise ValueError(f"init_scale must be > 0, got {init_scale!r}")
        self.ensemble = ensemble
        e = ensemble or 1
        shapes = [(block_width, d_in), (d_in, block_width), (width, d_in), (1, width)]
        self.weights = torch.nn.ParameterList(
            [torch.nn.Parameter((torch.randn(e, o, i, generator=generator, dtype=dtype) * (init_scale / i**0.5)).to(device))
             for o, i in shapes])

    def hidden(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Pre-activations V₁x and W r of the two hidden layers and the output, each (E, n, ·)."""
        v1, v2, w, w_out = self.weights
        h = x if x.dim() == 3 else x.unsqueeze(0)
        zb = h @ v1.transpose(1, 2)
        r = h + torch.relu(zb) @ v2.transpose(1, 2)
        z = r @ w.transpose(1, 2)
        a = torch.relu(z) if self.head == "relu" else z
        return [zb, z, a @ w_out.transpose(1, 2)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Outputs, shape (n, 1) for one network or (E, n, 1) for an ensemble."""
        out = self.hidden(x)[-1]
        return out if self.ensemble is not None else out.squeeze(0)
