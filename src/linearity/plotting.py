"""One figure style for the whole book, and one colour per quantity."""

from __future__ import annotations

import os

import matplotlib

# Headless Agg everywhere (scripts, tests, the book build) except inside a Jupyter kernel,
# whose inline backend (MPLBACKEND set by ipykernel) is what puts figures into the notebook.
if "inline" not in os.environ.get("MPLBACKEND", ""):
    matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

# The same quantity has the same colour in every chapter.
COLORS = {
    "relu": "#d62728",      # ReLU / leaky ReLU networks
    "linear": "#1f77b4",    # linear networks
    "theory": "#000000",    # closed forms (drawn dotted)
    "ols": "#7f7f7f",       # the best linear fit
    "bias": "#2ca02c",      # networks with a bias
    "deep": "#9467bd",      # deeper bias-free networks
    "early": "#ff7f0e",     # penalty from the start
    "late": "#17becf",      # penalty after training
}


def use_style() -> None:
    """Opaque white figures, readable fonts, light grids (called by `linearity.setup`).

    The book shows every figure scaled to its 660 px text column, so a font of p points on a
    figure w inches wide appears p·660/(72·w) px tall, whatever the dpi: the chapters' figures
    are 5.5–11.5 in wide, and 13 pt keeps tick labels and legends at 10–17 px (at 11 pt on an
    11 in figure they were 6–7 px).
    """
    plt.rcParams.update({
        "figure.facecolor": "white",
        "axes.facecolor": "white",
        "savefig.facecolor": "white",
        "savefig.transparent": False,
        "figure.dpi": 120,
        "figure.figsize": (7.0, 3.6),
        "font.size": 13,
        "axes.titlesize": 13,
        "axes.labelsize": 13,
        "xtick.labelsize": 12,
        "ytick.labelsize": 12,
        "legend.fontsize": 11,
        "lines.linewidth": 1.8,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "figure.constrained_layout.use": True,
    })
