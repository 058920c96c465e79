"""A tiny chapter in the book's form (MyST twin with a parameters cell), for the tools' tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

FRONT_MATTER = """\
---
jupytext:
  formats: ipynb,md:myst
  text_representation:
    extension: .md
    format_name: myst
    format_version: 0.13
    jupytext_version: 1.19.6
kernelspec:
  display_name: Python 3 (ipykernel)
  language: python
  name: python3
---
"""


def chapter(*cells: str, parameters: str = "", title: str = "# A tiny chapter") -> str:
    """The text of a twin: a parameters cell (seed, scale, device and `parameters`), then `cells`."""
    params = '# parameters\nseed = 0\nscale = "ci"\ndevice = "cpu"\n' + parameters
    blocks = [f"```{{code-cell}} ipython3\n:tags: [parameters]\n\n{params.rstrip()}\n```"]
    blocks += [f"```{{code-cell}} ipython3\n{c.strip()}\n```" for c in cells]
    return FRONT_MATTER + "\n" + title + "\n\n" + "\n\n".join(blocks) + "\n"


def write(path: Path, text: str) -> Path:
    """Write the twin `path` (.md) and its paired notebook; return the notebook's path."""
    path.write_text(text)
    subprocess.run([sys.executable, "-m", "jupytext", "--to", "ipynb", "--quiet", str(path)], check=True,
                   cwd=path.parent)
    return path.with_suffix(".ipynb")
