"""Student versions keep the exercises and drop the solutions."""

import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
from student import student_version  # noqa: E402

MD = """## Exercises

```{exercise}
:label: ex-one
Predict the loss.
```

````{solution} ex-one
:class: dropdown
It is $\\mathcal{L}_{\\mathrm{OLS}}$.
```python
print(1)
```
````

:::{solution} ex-two
Colon fenced.
:::
After."""


def test_student_version_removes_solutions_only():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell(MD),
        nbformat.v4.new_code_cell("answer = 42", metadata={"tags": ["solution"]}),
        nbformat.v4.new_code_cell("x = 1"),
    ])
    out = student_version(nb, glue={}, cites={})
    text = "\n".join(c.source for c in out.cells if c.cell_type == "markdown")
    assert "**Exercise.**" in text and "Predict the loss." in text and "After." in text
    assert "{solution}" not in text and "OLS" not in text and "Colon fenced" not in text
    codes = [c.source for c in out.cells if c.cell_type == "code"]
    assert codes == ["# Your work on the exercise above.\n", "x = 1"]   # a cell to work in, no solution cell


def test_student_version_reads_in_plain_jupyter():
    md = """See {eq}`eq-odd`, {numref}`fig-loss`, {prf:ref}`thm-x` and {ref}`ex-two`; {cite:t}`zhang2024biasfree` show it.

$$ f(x) = x $$ (eq-odd)

The loss is {glue:text}`ols_loss:.3f` after {glue:text}`steps` steps, in {doc}`chapter 2 <02_linear_dynamics>`.

:::{prf:theorem} Linear part
:label: thm-x
Body with $x$.
:::"""
    exercises = """## Exercises

```{exercise} First
:label: ex-one
One.
```

```{exercise} Second
:label: ex-two
Two.
```

## Claims checked"""
    figure = {"mystnb": {"figure": {"name": "fig-loss", "caption": "The loss, as in {eq}`eq-odd`."}}}
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(md),
                                         nbformat.v4.new_code_cell("plot()", metadata=figure),
                                         nbformat.v4.new_markdown_cell(exercises)])
    cells = student_version(nb, glue={"ols_loss": "0.05425", "steps": "600"},
                            cites={"zhang2024biasfree": "Zhang et al. 2025"}, chapter=2).cells
    text = cells[0].source
    assert "0.054" in text and "600 steps" in text and "Zhang et al. (2025) show" in text
    assert "See (2.1), Figure 2.1, Theorem 2.1 and Exercise 2.2;" in text, text
    assert "$$ f(x) = x \\tag{2.1}$$" in text and "chapter 2" in text
    assert "**Theorem 2.1 (Linear part).**" in text and "Body with $x$." in text
    assert "{" + "glue" not in text and ":label:" not in text and ":::" not in text
    assert cells[2].source == "**Figure 2.1.** The loss, as in (2.1)."      # the caption follows its figure
    kinds = [(c.cell_type, c.source.splitlines()[0]) for c in cells[3:]]
    assert kinds == [("markdown", "## Exercises"), ("markdown", "**Exercise 2.1 (First).**"),
                     ("code", "# Your work on the exercise above."), ("markdown", "**Exercise 2.2 (Second).**"),
                     ("code", "# Your work on the exercise above."), ("markdown", "## Claims checked")], kinds


def test_make_student_writes_every_chapter_and_a_student_notebook_runs(tmp_path):
    """`make student`'s two steps: every chapter's student version is written, and one executes
    (chapter 6, among the fastest) under papermill from its own folder, without a twin."""
    import subprocess

    root = Path(__file__).resolve().parents[1]
    tool = [sys.executable, str(root / "tools" / "student.py"), "--out", str(tmp_path)]
    written = subprocess.run(tool + ["--no-run"], cwd=root, capture_output=True, text=True)
    assert written.returncode == 0, written.stdout + written.stderr
    assert len(list(tmp_path.glob("[0-9][0-9]_*.ipynb"))) == 6
    ran = subprocess.run(tool + [str(root / "notebooks" / "06_linear_nets_vs_regression.ipynb")], cwd=root,
                         capture_output=True, text=True, env={**__import__("os").environ, "BOOK_WORKERS": "1"})
    assert ran.returncode == 0 and "runs" in ran.stdout, ran.stdout + ran.stderr
