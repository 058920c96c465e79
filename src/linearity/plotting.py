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


COLUMN_PX = 660      # the book's text column at a 1280 px window
MIN_TEXT_PX = 9.0    # no text of a figure may be displayed smaller than this


def displayed_px(fig, points: float, column_px: float = COLUMN_PX) -> float:
    """How tall `points` of text on `fig` appear in the book: figures wider than the text
    column are scaled down to it, narrower ones are shown at their own pixel size."""
    width_in = fig.get_figwidth()
    shown_px = min(column_px, width_in * fig.dpi)
    return points * shown_px / (72.0 * width_in)


def small_text(fig, column_px: float = COLUMN_PX, min_px: float = MIN_TEXT_PX) -> list[str]:
    """The visible texts of `fig` (titles, labels, ticks, legends, annotations) that would be
    displayed below `min_px` pixels at the column width, as 'text' (size px)."""
    from matplotlib.text import Text

    found = []
    for text in fig.findobj(Text):
        if text.get_visible() and text.get_text().strip() and (text.axes is None or text.axes.get_visible()):
            px = displayed_px(fig, text.get_fontsize(), column_px)
            if px < min_px:
                found.append(f"{text.get_text()[:30]!r} ({px:.1f} px)")
    return found


def _check_text_on_draw(event) -> None:
    small = small_text(event.canvas.figure)
    if small:
        raise ValueError(f"figure text below {MIN_TEXT_PX:g} px at the {COLUMN_PX} px column: "
                         + ", ".join(small[:6]) + " — drop the per-figure font size or make the figure narrower")


def readable(fig) -> None:
    """Figure hook (rcParams['figure.hooks']): every pyplot figure checks its text sizes when drawn."""
    fig.canvas.mpl_connect("draw_event", _check_text_on_draw)


def use_style() -> None:
    """Opaque white figures, readable fonts, light grids (called by `linearity.setup`).

    The book shows every figure scaled to its 660 px text column, so a font of p points on a
    figure w inches wide appears p·660/(72·w) px tall, whatever the dpi: the chapters' figures
    are 5.5–11 in wide, and 12–13 pt keeps tick labels and legends at 10–17 px (at 11 pt on an
    11 in figure they were 6–7 px). Every pyplot figure checks this when it is drawn
    (`readable`): text that would appear below 9 px raises `ValueError`, so a chapter with an
    unreadable figure does not execute.
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
        "legend.fontsize": 12,
        "lines.linewidth": 1.8,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "figure.constrained_layout.use": True,
        "figure.hooks": ["linearity.plotting:readable"],
    })
