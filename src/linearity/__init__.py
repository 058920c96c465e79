"""linearity: the small shared package of *When is a ReLU network a linear network?*

One rule says where code lives:

- code used by two or more chapters lives in a module named for its role:
  `checks` (argument checks), `claims` (the claims cell and glued numbers), `data`, `models`,
  `train`, `theory` (least squares, even/odd parts), `metrics`, `plotting`, `setup` (the
  parameters cell);
- code used by one chapter lives in one module named after that chapter, `chNN_slug`,
  matching `notebooks/NN_slug`: `ch01_expressivity`, `ch02_linear_dynamics`,
  `ch03_deep_networks`, `ch04_low_rank`, `ch05_nonlinear_advantage`,
  `ch06_linear_nets_vs_regression`.

Nothing is re-exported: a function is reached by the module it lives in. The one name at the
top is `setup`, the call every chapter starts with. Every chapter imports the package the
same way::

    import linearity as lin                      # lin.models.MLP, lin.train.fit, lin.claims.glue, ...
    from linearity import ch05_nonlinear_advantage as ch
    from linearity.plotting import COLORS

    run = lin.setup(globals())

Every public function names, in its docstring, the labelled equation of its chapter that it
computes.
"""

import os as _os
import tempfile as _tempfile


def _writable_matplotlib_config() -> None:
    """Give matplotlib a writable config directory before it is imported.

    Where HOME (or MPLCONFIGDIR) cannot be written, matplotlib falls back to a temporary
    directory but warns on stderr, and nbval fails on any stderr output.
    """
    path = _os.environ.get("MPLCONFIGDIR") or _os.path.join(
        _os.environ.get("XDG_CONFIG_HOME") or _os.path.join(_os.path.expanduser("~"), ".config"), "matplotlib")
    try:
        _os.makedirs(path, exist_ok=True)
        if _os.access(path, _os.W_OK):
            return
    except OSError:
        pass
    _os.environ["MPLCONFIGDIR"] = _tempfile.mkdtemp(prefix="matplotlib-")


_writable_matplotlib_config()

from . import checks, claims, data, metrics, models, plotting, theory, train  # noqa: E402
from .setup import setup  # noqa: E402

__all__ = ["checks", "claims", "data", "metrics", "models", "plotting", "theory", "train", "setup"]
__version__ = "0.1.0"
