"""Check that every chapter notebook and its MyST twin have the same cells.

Compares cell types, sources and tags; outputs are not in the twin. Exit 1 on a mismatch.
"""

import sys

import jupytext

from nbtools import NOTEBOOKS, cell_inputs


bad = []
for ipynb in NOTEBOOKS:
    md = ipynb.with_suffix(".md")
    if not md.exists():
        bad.append(f"{ipynb.name}: no twin {md.name}")
        continue
    a, b = cell_inputs(jupytext.read(ipynb)), cell_inputs(jupytext.read(md))
    if a != b:
        first = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        bad.append(f"{ipynb.name} and {md.name} differ from cell {first} on "
                   f"(run `jupytext --sync {md.relative_to(md.parents[1])}`)")
for line in bad:
    print(line)
print(f"twins: {len(NOTEBOOKS) - len(bad)} of {len(NOTEBOOKS)} notebooks in sync with their .md twin")
sys.exit(1 if bad else 0)
