"""`make controls` fails a claim that survives the removal of its premise, and passes a real one."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

from controls import premises  # noqa: E402
from tiny_chapter import chapter, write  # noqa: E402

CHAPTER = chapter("""
import linearity as lin
import numpy as np

run = lin.setup(globals())
x = lin.data.gaussian(50, 2, run.rng(0))
x = lin.data.symmetrize(x) if symmetrize else x
""", """
claims = lin.claims.Claims()
claims.check("mean_is_zero", abs(x.mean()), lt=1e-12, tiny=True, premises=["symmetrize"])
claims.check("scale_is_small", init_scale, lt=0.1, premises=["init_scale"])
claims.check("vacuous", 1.0, gt=0, premises=["symmetrize"])
claims.summary()
""", parameters="""symmetrize = True   # premise: an exactly symmetrised sample
init_scale = 0.01   # premise (off: 1.0): small initialisation
""")


def test_premises_are_read_from_the_parameters_cell(tmp_path):
    md = tmp_path / "96_tiny.md"
    md.write_text(CHAPTER)
    assert premises(md.with_suffix(".ipynb")) == {"symmetrize": False, "init_scale": 1.0}


def test_a_claim_that_survives_its_premise_fails_the_control(tmp_path):
    md = tmp_path / "95_tiny.md"
    write(md, CHAPTER)
    out = tmp_path / "controls.json"
    book_table = ROOT / "book" / "data" / "controls.json"
    before = book_table.read_text() if book_table.exists() else None
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "controls.py"), "--out", str(out),
                             str(md.with_suffix(".ipynb"))], cwd=ROOT, capture_output=True, text=True)
    table = {r["premise"]: r for r in json.loads(out.read_text())["controls"]}
    assert (book_table.read_text() if book_table.exists() else None) == before, "a run of one chapter kept the book's table"
    assert result.returncode == 1, result.stdout + result.stderr
    assert "still hold: vacuous" in result.stdout
    assert table["init_scale"]["passed"] and not table["symmetrize"]["passed"]
    holds = {c["name"]: c["holds"] for c in table["symmetrize"]["claims"]}
    assert holds == {"mean_is_zero": False, "scale_is_small": True, "vacuous": True}
