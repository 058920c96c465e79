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
    md = """See {eq}`eq-odd` and {numref}`fig-loss`; {cite:t}`zhang2024biasfree` show it.

$$ f(x) = x $$ (eq-odd)

The loss is {glue:text}`ols_loss:.3f` after {glue:text}`steps` steps, in {doc}`chapter 2 <02_linear_dynamics>`.

:::{prf:theorem} Linear part
:label: thm-x
Body with $x$.
:::"""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(md)])
    text = student_version(nb, glue={"ols_loss": "0.05425", "steps": "600"}, cites={"zhang2024biasfree": "Zhang et al. 2025"}).cells[0].source
    assert "0.054" in text and "600 steps" in text and "Zhang et al. (2025) show" in text
    assert "(eq-odd)" in text and "$$ f(x) = x $$\n" in text and "chapter 2" in text
    assert "**Theorem (Linear part).**" in text and "Body with $x$." in text
    assert "{" + "glue" not in text and ":label:" not in text and ":::" not in text
