"""One call at the top of every chapter: read and check the parameters, seed, pin threads.

A chapter's first code cells are::

    # parameters (papermill injects new values in a cell after this one)   ← tagged `parameters`
    seed = 0
    scale = "ci"
    device = "cpu"
    symmetrize = True   # premise: exactly symmetrised data                ← one per premise

    import linearity as lin   # first: it gives matplotlib a writable config directory
    import numpy as np ...    # every import of the chapter, in this cell
    run = lin.setup(globals())

`setup` reads the parameters from the notebook's namespace: `seed`, `scale`, `device` and
every other name the parameters cell assigns. It raises `ValueError` naming the parameter
and what is allowed, before any training starts:

- `seed` must be an integer in [0, 2³²), `scale` one of `SCALES`, `device` one of `DEVICES`;
- every other parameter must keep the type of its default (a bool stays a bool, a float
  may be given as an int);
- papermill injects its values in a cell headed `# Parameters` after the parameters cell
  and only logs a name the notebook does not declare. `setup` reads that cell from the
  kernel's input history and refuses every name in it that the parameters cell does not
  assign — `_seed`, `In`, or `lin` (which is why the setup cell imports the package
  again: an injected `lin = 1` is then refused, not an `AttributeError`).
"""

from __future__ import annotations

import ast
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from .checks import check_choice, check_int

SCALES = ("ci", "paper")
DEVICES = ("cpu", "cuda")
SEED_LIMIT = 2**32                      # numpy's legacy seeding accepts [0, 2³²)
PARAMETERS_HEADER = "# parameters"      # first line of every chapter's parameters cell
PAPERMILL_HEADER = "# Parameters"       # first line of the cell papermill injects


@dataclass(frozen=True)
class Run:
    """The checked parameters of one execution of a chapter."""

    seed: int
    scale: str
    device: torch.device
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def paper(self) -> bool:
        """True at `scale="paper"`."""
        return self.scale == "paper"

    def pick(self, ci: Any, paper: Any) -> Any:
        """Return `ci` or `paper` according to the run's scale."""
        return paper if self.paper else ci

    def rng(self, offset: int = 0) -> np.random.Generator:
        """A fresh numpy generator derived from the seed (and an offset per experiment)."""
        return np.random.default_rng([self.seed, offset])

    def generator(self, offset: int = 0) -> torch.Generator:
        """A fresh CPU torch generator derived from the seed (and an offset per experiment)."""
        return torch.Generator().manual_seed(int(self.rng(offset).integers(2**62)))


def check_seed(seed: Any) -> int:
    """`seed` as an int; `ValueError` unless it is an integer in [0, 2³²)."""
    return check_int("seed", seed, 0, SEED_LIMIT)


def check_device(device: Any) -> torch.device:
    """A `torch.device`; `ValueError` for an unknown name or a missing GPU."""
    check_choice("device", device, DEVICES)
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("device='cuda' was asked for but no CUDA GPU is available; allowed here: 'cpu'")
    return torch.device(device)


def assignments(source: str) -> dict[str, Any]:
    """The names a cell assigns at top level, with their literal values (None if not a literal)."""
    out: dict[str, Any] = {}
    for node in ast.parse(source).body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            try:
                value = ast.literal_eval(node.value) if node.value is not None else None
            except ValueError:
                value = None
            for t in targets:
                for n in ast.walk(t):
                    if isinstance(n, ast.Name):
                        out[n.id] = value
    return out


def _history() -> list[str]:
    """The inputs executed so far in this kernel, oldest first ([] outside IPython)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with the book's environment
        return []
    ip = get_ipython()
    return list(ip.history_manager.input_hist_raw) if ip is not None else []


def declared_and_injected(history: list[str]) -> tuple[dict[str, Any], set[str]]:
    """(defaults of the parameters cell, names papermill injected after it) from a history."""
    declared: dict[str, Any] = {}
    injected: set[str] = set()
    for source in history:
        first = source.lstrip().split("\n", 1)[0].strip()
        if first.startswith(PARAMETERS_HEADER):
            declared, injected = assignments(source), set()
        elif first == PAPERMILL_HEADER:
            injected |= set(assignments(source))
    return declared, injected


def _same_kind(default: Any, value: Any) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float))
    return default is None or isinstance(value, type(default))


def seed_everything(seed: int) -> None:
    """Seed python, numpy and torch; use one torch thread (fast and reproducible here)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(1)
    keep_freed_memory()


def keep_freed_memory() -> None:
    """Let glibc's malloc reuse freed blocks of up to 32 MiB instead of returning them to the system.

    A training step allocates and frees the same megabyte-sized tensors thousands of times; by
    default each one above 128 KiB is a fresh mmap whose pages fault in again (it showed as
    system CPU time: a third of a width-256 network's step). No effect where libc is not glibc.
    """
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 2**25)   # M_MMAP_THRESHOLD: 32 MiB, glibc's largest allowed value
        libc.mallopt(-1, 2**30)   # M_TRIM_THRESHOLD: keep up to 1 GiB of freed heap
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        pass


def setup(namespace: Mapping[str, Any] | None = None, **given: Any) -> Run:
    """Read and check a chapter's parameters, seed everything, set one torch thread and the plot style.

    `namespace` is the notebook's `globals()`; the parameters are the names its parameters
    cell assigns (module docstring). Outside a notebook pass them as keywords:
    `setup(seed=3, scale="paper")`.
    """
    declared, injected = declared_and_injected(_history()) if namespace is not None else ({}, set())
    unknown = sorted(injected - set(declared))
    if unknown:
        names = sorted(declared) or ["seed", "scale", "device"]
        raise ValueError(f"unknown parameter(s) {unknown}: this notebook's parameters are {names}")
    values = {"seed": 0, "scale": "ci", "device": "cpu"}
    if namespace is not None:
        values.update({k: namespace[k] for k in ("seed", "scale", "device", *declared) if k in namespace})
    values.update(given)
    seed = check_seed(values.pop("seed"))
    scale = check_choice("scale", values.pop("scale"), SCALES)
    dev = check_device(values.pop("device"))
    for name, value in values.items():
        default = declared.get(name)
        if name in declared and not _same_kind(default, value):
            raise ValueError(f"{name} must be a {type(default).__name__} like its default {default!r}, "
                             f"got {value!r}")
    seed_everything(seed)
    from .plotting import use_style

    use_style()
    return Run(seed=seed, scale=scale, device=dev, params=values)
