"""linearity: the small shared package of *When is a ReLU network a linear network?*

Each chapter imports it as `import linearity as lin`; every function names the equation
it computes in its docstring.
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

from . import checks, data, metrics, plotting, theory  # noqa: E402
from .claims import Claims, bound_text, glue  # noqa: E402
from .models import MLP, sigma
from .plotting import COLORS
from .setup import Run, setup
from .train import History, TrainingDiverged, half_time, train

__all__ = ["checks", "data", "metrics", "plotting", "theory", "Claims", "bound_text", "glue", "COLORS", "History", "MLP", "Run", "TrainingDiverged", "half_time", "setup",
           "sigma", "train"]
__version__ = "0.1.0"
