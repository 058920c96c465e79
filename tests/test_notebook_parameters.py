"""Every chapter refuses bad parameters at once, with a message naming the parameter.

Each case is a real papermill run of a chapter notebook; the run must fail in the setup
cell (before any training) with a ValueError that names the parameter. "At once" is checked by
where it fails, not by a wall-clock limit, which a busy machine breaks.
The checks are one function (`linearity.setup`), so every case runs on one chapter and the
cases that depend on a chapter's own cells (its parameters cell, its setup cell importing
the package again) run on all of them.
"""

from pathlib import Path

import papermill as pm
import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SEED_RANGE = "seed must be an integer in [0, 4294967296)"
CASES = {
    "unknown scale": ({"scale": "nonsense"}, "scale must be one of"),
    "negative seed": ({"seed": -1}, SEED_RANGE),
    "non-integer seed": ({"seed": 1.5}, SEED_RANGE),
    "seed too large for numpy": ({"seed": 2**32}, SEED_RANGE),
    "wrong type": ({"seed": "three"}, SEED_RANGE),
    "unknown name": ({"sede": 3}, "unknown parameter(s) ['sede']"),
    "private name": ({"_seed": 3}, "unknown parameter(s) ['_seed']"),
    "IPython's name": ({"In": 3}, "unknown parameter(s) ['In']"),
    "name of an import": ({"lin": 1}, "unknown parameter(s) ['lin']"),
}
if not torch.cuda.is_available():
    CASES["cuda without a GPU"] = ({"device": "cuda"}, "no CUDA GPU is available")
EVERY_CHAPTER = ("unknown scale", "name of an import")
RUNS = [(nb, case) for case in sorted(CASES) for nb in (NOTEBOOKS if case in EVERY_CHAPTER else NOTEBOOKS[-1:])]


@pytest.mark.parametrize(("notebook", "case"), RUNS, ids=[f"{nb.stem}-{case}" for nb, case in RUNS])
def test_bad_parameter_fails_fast_and_names_it(notebook, case, tmp_path):
    params, message = CASES[case]
    with pytest.raises(pm.PapermillExecutionError) as err:
        pm.execute_notebook(str(notebook), str(tmp_path / "out.ipynb"), parameters=params,
                            progress_bar=False, cwd=str(notebook.parent), log_output=False)
    assert err.value.ename == "ValueError"
    assert message in err.value.evalue
    assert "lin.setup(globals())" in err.value.source, "the run went past the setup cell before failing"
