"""Every claim of the book is falsifiable on the page; the check fails on planted claims."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

from falsifiers import book, problems  # noqa: E402


def claim(name, premises=(), null=None, passed=True):
    return {"name": name, "value": "0.5", "premises": list(premises), "null": null, "passed": passed}


def control(premise, **rows):
    """A stored control run of chapter 'ch' with `premise` off; rows: name -> (value, holds)."""
    return {"chapter": "ch", "premise": premise, "off": False, "error": None,
            "claims": [{"name": n, "value": v, "holds": h} for n, (v, h) in rows.items()]}


FAILING_NULL = {"value": "0.9", "label": "at initialisation", "holds": False}


@pytest.mark.parametrize("planted, controls, says", [
    (claim("bare"), [], "no null and no premise"),
    (claim("null_holds", null=FAILING_NULL | {"holds": True}), [], "its null"),
    (claim("survives", premises=["symmetrize"]), [control("symmetrize", survives=("0.5", True))], "still holds"),
    (claim("by_nan", premises=["symmetrize"]), [control("symmetrize", by_nan=("nan", False))], "not a number"),
    (claim("no_run", premises=["bias"]), [], "no stored control"),
    (claim("crashed", premises=["bias"]), [control("bias") | {"error": "ValueError: empty"}], "did not reach"),
])
def test_a_planted_claim_without_a_working_falsifier_is_found(planted, controls, says):
    found = problems({"ch": [planted]}, controls)
    assert len(found) == 1 and says in found[0], found


def test_a_null_that_fails_or_a_premise_whose_control_fails_it_is_enough():
    good = [claim("with_null", null=FAILING_NULL),
            claim("with_premise", premises=["symmetrize"])]
    assert problems({"ch": good}, [control("symmetrize", with_premise=("0.01", False))]) == []


def test_every_claim_of_the_book_has_a_falsifier():
    found = problems(*book())
    assert not found, "\n".join(found)
