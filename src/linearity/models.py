"""Bias-free multilayer perceptrons, one or many at once.

f(x) = W_L σ(W_{L-1} σ( ... σ(W_1 x)))      (depth L = number of weight matrices)

with σ_α(z) = max(z, α z) (α = 0 ReLU, α = 1 linear), an optional bias per layer, and
an optional leading *ensemble* dimension: `MLP(..., ensemble=E)` holds E independent
networks whose weights have shape (E, out, in), so a sweep over seeds or learning rates
is one tensor program.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .checks import check_choice, check_int, check_number, check_slope

ACTIVATIONS = ("relu", "leaky", "linear", "prelu")


def sigma(z: torch.Tensor, alpha: float | torch.Tensor) -> torch.Tensor:
    """Leaky ReLU σ_α(z) = max(z, α z) = ((1+α)/2) z + ((1−α)/2) |z| (α may be a tensor)."""
    return torch.where(z > 0, z, alpha * z)


def init_weight(out_dim: int, in_dim: int, scale: float, ensemble: int,
                generator: torch.Generator | None, dtype: torch.dtype) -> torch.Tensor:
    """W = scale · N(0, 1/fan_in) entrywise, shape (ensemble, out_dim, in_dim)."""
    w = torch.randn(ensemble, out_dim, in_dim, generator=generator, dtype=dtype)
    return w * (scale / in_dim**0.5)


class MLP(nn.Module):
    """A (bias-free by default) MLP of any depth and width.

    Parameters
    ----------
    d_in, d_out : input and output dimension.
    width : hidden width, an int or one int per hidden layer (depth − 1 of them).
    depth : number of weight matrices (2 = one hidden layer); ≥ 1.
    activation : "relu", "leaky" (slope `alpha`), "linear" or "prelu" (a learnable
        slope per hidden unit, starting at `alpha`).
    alpha : negative-side slope, in [0, 1].
    bias : add a bias vector to every layer (initialised at zero).
    init_scale : s in W = s · N(0, 1/fan_in).
    mirrored : hidden units in pairs (w, −w) with outgoing weights (a, −a): the first
        layer is [V; −V], a middle layer [[B, −B], [−B, B]], the last [A, −A], where
        V, B, A are drawn with the fan-in of the half-width network. Needs even widths.
        At initialisation such a network computes the linear map (1+α)^(depth−1)·A·…·B·V·x,
        because σ_α(z) − σ_α(−z) = (1+α) z.
    ensemble : None for one network (shapes as usual), or E for E independent networks
        with a leading dimension on weights, inputs (optional) and outputs.
    """

    def __init__(self, d_in: int, width: int | Sequence[int], d_out: int, depth: int = 2, *,
                 activation: str = "relu", alpha: float = 0.0, bias: bool = False,
                 init_scale: float = 1.0, mirrored: bool = False, ensemble: int | None = None,
                 dtype: torch.dtype = torch.float64, device: str | torch.device = "cpu",
                 generator: torch.Generator | None = None) -> None:
        super().__init__()
        check_int("d_in", d_in, 1)
        check_int("d_out", d_out, 1)
        check_int("depth", depth, 1)
        check_choice("activation", activation, ACTIVATIONS)
        check_slope("alpha", alpha)
        init_scale = check_number("init_scale", init_scale, 0.0)
        widths = [width] * (depth - 1) if isinstance(width, int) else list(width)
        if len(widths) != depth - 1:
            raise ValueError(f"width must be an int or a list of depth - 1 = {depth - 1} ints, got {width!r}")
        for w in widths:
            check_int("width", w, 1)
            if mirrored and w % 2:
                raise ValueError(f"width must be even for a mirrored network, got {w}")
        if ensemble is not None:
            check_int("ensemble", ensemble, 1)
        self.activation, self.alpha, self.mirrored = activation, float(alpha), mirrored
        self.ensemble = ensemble
        self.dims = [d_in, *widths, d_out]
        e = ensemble or 1
        weights = []
        for k, (n_in, n_out) in enumerate(zip(self.dims[:-1], self.dims[1:])):
            if not mirrored:
                w = init_weight(n_out, n_in, init_scale, e, generator, dtype)
            else:
                first, last = k == 0, k == depth - 1
                h_in, h_out = (n_in if first else n_in // 2), (n_out if last else n_out // 2)
                base = init_weight(h_out, h_in, init_scale, e, generator, dtype)
                w = base if first else torch.cat([base, -base], dim=2)
                w = w if last else torch.cat([w, -w], dim=1)
            weights.append(nn.Parameter(w.to(device)))
        self.weights = nn.ParameterList(weights)
        self.biases = nn.ParameterList(
            [nn.Parameter(torch.zeros(e, n, dtype=dtype, device=device)) for n in self.dims[1:]]
            if bias else []
        )
        self.slopes = nn.ParameterList(
            [nn.Parameter(torch.full((e, n), float(alpha), dtype=dtype, device=device)) for n in widths]
            if activation == "prelu" else []
        )

    @property
    def depth(self) -> int:
        """Number of weight matrices."""
        return len(self.weights)

    def hidden(self, x: torch.Tensor, members: slice = slice(None)) -> list[torch.Tensor]:
        """Pre-activations z_1, …, z_{L−1} of the hidden layers and the output z_L, each (E, n, width).

        `members` selects ensemble members (inputs x of shape (n, d_in), shared by all of them).
        """
        h = x if x.dim() == 3 else x.unsqueeze(0)
        pick = (lambda t: t) if members == slice(None) else (lambda t: t[members])   # noqa: E731
        zs = []
        for k, w in enumerate(self.weights):
            z = h @ pick(w).transpose(1, 2)
            if self.biases:
                z = z + pick(self.biases[k]).unsqueeze(1)
            zs.append(z)
            if k < self.depth - 1:
                h = self._act(z, pick(self.slopes[k]) if self.slopes else None)
        return zs

    def _act(self, z: torch.Tensor, slope: torch.Tensor | None) -> torch.Tensor:
        if self.activation == "linear":
            return z
        if self.activation == "prelu":
            # σ_α(z) = relu(z) + α (z − relu(z)): the same values and gradients as `sigma` for
            # α ∈ [0, 1], and a backward pass several times faster on a CPU than torch.where's
            p = torch.relu(z)
            return p + slope.unsqueeze(1) * (z - p)
        # the same values and gradients as `sigma` (also at z = 0), with a backward pass
        # several times faster on a CPU than torch.where's
        return torch.relu(z) if self.activation == "relu" else F.leaky_relu(z, self.alpha)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Outputs, shape (n, d_out) for one network or (E, n, d_out) for an ensemble."""
        out = self.hidden(x)[-1]
        return out if self.ensemble is not None else out.squeeze(0)

    def numpy_weights(self) -> list:
        """The weight matrices as numpy arrays (ensemble dimension kept only for ensembles)."""
        ws = [w.detach().cpu().numpy() for w in self.weights]
        return ws if self.ensemble is not None else [w[0] for w in ws]


def end_to_end(model: MLP) -> tuple[torch.Tensor, torch.Tensor]:
    """The affine map x ↦ A x + b that `model` computes with every unit made linear (α = 1).

    A = W_L ⋯ W_1 and b = Σ_k W_L ⋯ W_{k+1} b_k (zero without biases); shapes (E, d_out, d_in)
    and (E, d_out) for an ensemble, (d_out, d_in) and (d_out,) for one network. For a network
    whose units are all linear this is the network itself (chapter 5, "Linear units
    collapse"); for a leaky network, (1+α)/2 · A is the linear part of chapter 1's split.
    """
    a = model.weights[0]
    b = model.biases[0] if model.biases else torch.zeros(a.shape[:2], dtype=a.dtype, device=a.device)
    for k in range(1, model.depth):
        w = model.weights[k]
        a = w @ a
        b = (w @ b.unsqueeze(-1)).squeeze(-1)
        if model.biases:
            b = b + model.biases[k]
    return (a, b) if model.ensemble is not None else (a[0], b[0])


def twins(d_in: int, width: int | Sequence[int], d_out: int, slopes: Sequence[float], *, depth: int = 2,
          init_scale: float = 1.0, generator: torch.Generator | None = None,
          device: str | torch.device = "cpu") -> MLP:
    """One PReLU ensemble whose members start from the same weights and differ only in their slope.

    Member e has every slope equal to `slopes[e]` (0: ReLU, 1: linear); train only
    `model.weights` to keep the slopes fixed. The weights are those of the first member of a
    freshly drawn ensemble of len(slopes) networks, copied to the others.
    """
    for a in slopes:
        check_slope("slopes", a)
    model = MLP(d_in, width, d_out, depth, activation="prelu", init_scale=init_scale, ensemble=len(slopes),
                generator=generator).to(device)
    with torch.no_grad():
        for w in model.weights:
            w[1:] = w[0]
        for a in model.slopes:
            a.copy_(torch.as_tensor(list(slopes), dtype=a.dtype, device=a.device)[:, None].expand_as(a))
    return model


def odd_bump_network(dtype: torch.dtype = torch.float64, device: str | torch.device = "cpu") -> MLP:
    """The bias-free depth-three ReLU network (widths 4, 2) that computes `data.odd_bump` exactly.

    First layer [I; −I], so the hidden halves are p = relu(x), q = relu(−x) and
    |x₁| = p₁ + q₁; middle units x₂ − |x₁| = −p₁ + p₂ − q₁ − q₂ and −x₂ − |x₁|; output [1, −1]:

        f(x) = relu(x₂ − |x₁|) − relu(−x₂ − |x₁|).

    The weights have the mirror form of chapter 3 (W₁ = [V; −V], W₂ = [[B, C], [C, B]],
    W₃ = [A, −A] with V = I, B = [−1, 1], C = [−1, −1], A = 1). Chapters 1 and 3 use it.
    """
    v = torch.eye(2, dtype=dtype)
    b = torch.tensor([[-1.0, 1.0]], dtype=dtype)
    c = torch.tensor([[-1.0, -1.0]], dtype=dtype)
    weights = (torch.cat([v, -v]), torch.cat([torch.cat([b, c], 1), torch.cat([c, b], 1)]),
               torch.tensor([[1.0, -1.0]], dtype=dtype))
    m = MLP(2, [4, 2], 1, depth=3, dtype=dtype, device=device)
    with torch.no_grad():
        for p, w in zip(m.weights, weights):
            p.copy_(w[None].to(device))
    return m
