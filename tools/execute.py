"""`make notebooks`: re-execute chapter notebooks to refresh their stored outputs.

    python tools/execute.py [notebooks/NN_slug.ipynb ...]

The `.md` twin is the source of truth for the inputs and is never written: each chapter's
inputs are read from its twin (cell ids and metadata kept from the stored `.ipynb`), the
result is executed with papermill and, only when every cell succeeded, written into the
`.ipynb` atomically with the provenance of the run. If the stored `.ipynb` had inputs the
twin does not have (an edit made in Jupyter without the pairing), it is first copied to
`_build/backup/` and the copy named, so nothing is lost.
"""

import shutil
import sys
import tempfile
from pathlib import Path

import jupytext
import nbformat
from jupytext.combine import combine_inputs_with_outputs

from nbtools import NOTEBOOKS, ROOT, cell_inputs, execute_many


def prepare(ipynb: Path, folder: Path) -> Path:
    """The notebook to execute: inputs from the twin, cell ids and metadata from `ipynb`."""
    twin = jupytext.read(ipynb.with_suffix(".md"))
    if ipynb.exists():
        stored = nbformat.read(str(ipynb), as_version=4)
        if cell_inputs(stored) != cell_inputs(twin):
            backup = ROOT / "_build" / "backup" / ipynb.name
            backup.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ipynb, backup)
            print(f"{ipynb.name}: inputs taken from {ipynb.with_suffix('.md').name} (the source of truth); "
                  f"the previous notebook is kept as {backup.relative_to(ROOT)}")
        nb = combine_inputs_with_outputs(twin, stored)
    else:
        nb = twin
    source = folder / ipynb.name
    jupytext.write(nb, source, fmt="ipynb")
    return source


def main(argv: list[str]) -> int:
    paths = [Path(p).resolve() for p in argv] or NOTEBOOKS
    missing = [p for p in paths if not p.with_suffix(".md").exists()]
    if missing:
        print("no .md twin for: " + ", ".join(str(p) for p in missing), file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        jobs = [(p, None, None, 600, prepare(p, Path(tmp))) for p in paths]
        failed = False
        for path, seconds, error in execute_many(jobs):
            print(f"{path.name:<40} {seconds:6.1f} s  {'ok' if error is None else 'FAILED: ' + error}")
            failed |= error is not None
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
