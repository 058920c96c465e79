"""`make controls`: every chapter once per premise switched off; the claims resting on it must fail.

    python tools/controls.py [--seed 0] [notebooks/NN_slug.ipynb ...]

A chapter declares its premises in its parameters cell, one parameter each, with a comment
that starts with `premise`, and for a non-boolean the value that switches it off:

    symmetrize = True     # premise: an exactly symmetrised sample
    init_scale = 0.003    # premise (off: 1.0): small initialisation

and each claim names the premises it rests on (`claims.check(..., premises=["symmetrize"])`).
For every premise the chapter is executed (papermill, seed 0, scale "ci") with that premise
off. The control passes when the run reaches the claims cell without any other error and
every claim declaring the premise fails *for the reason it is about*: with a finite value (a
nan from an empty set or a failed fit is not a failure of the statement). A claim that
survives the removal of a premise it declares is a vacuous check. The other claims are reported. The table (claim × premise →
holds / fails) is written to `book/data/controls.json` with the provenance of the run, and
the reproducibility report shows it. Exit 1 if any control fails. Naming chapters runs only
those and replaces their rows in `book/data/controls.json` (other seeds, or chapters outside the
book, go to `_build/controls.json`).
"""

from __future__ import annotations

import argparse
import ast
import json
import math
import re
import sys
import tempfile
from pathlib import Path

import jupytext
import nbformat

from nbtools import NOTEBOOKS, ROOT, claims_of, execute_many, provenance

OUT = ROOT / "book" / "data" / "controls.json"


def premises(notebook: Path) -> dict[str, object]:
    """{premise: value that switches it off} from the chapter's parameters cell (its .md twin)."""
    nb = jupytext.read(notebook.with_suffix(".md"))
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    found = {}
    for line in cell.source.splitlines():
        code, _, comment = line.partition("#")
        comment = comment.strip()
        if "=" not in code or not comment.startswith("premise"):
            continue
        name, value = (s.strip() for s in code.split("=", 1))
        default = ast.literal_eval(value)
        declared_off = re.match(r"premise\s*\(off:\s*([^)]*)\)", comment)
        if declared_off:
            off = ast.literal_eval(declared_off.group(1).strip())
        elif isinstance(default, bool):
            off = not default
        else:
            raise ValueError(f"{notebook.name}: premise {name} is not a bool; say '# premise (off: VALUE): ...'")
        found[name] = off
    return found


def finite(shown: str) -> bool:
    """Whether a stored claim value ('0.12', '< 1e-12', 'nan') is a number."""
    try:
        return math.isfinite(float(str(shown).lstrip("<≤ ")))
    except ValueError:
        return False


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="where to write the table (default: book/data/controls.json "
                        "for a run of every chapter, _build/controls.json for named chapters)")
    parser.add_argument("notebooks", nargs="*")
    args = parser.parse_args(argv)
    chapters = [Path(p).resolve() for p in args.notebooks] or NOTEBOOKS
    runs = [(nb, name, off) for nb in chapters for name, off in premises(nb).items()]
    results, failures = [], 0
    with tempfile.TemporaryDirectory() as tmp:
        jobs = [(nb, Path(tmp) / f"{nb.stem}-{name}.ipynb", {"seed": args.seed, name: off}) for nb, name, off in runs]
        for (nb, name, off), job, (_, seconds, error) in zip(runs, jobs, execute_many(jobs)):
            claims = claims_of(job[1]) if job[1].exists() else []
            reached = bool(claims) and (error is None or "claims that do not hold" in error)
            resting = [c for c in claims if name in c.get("premises", [])]
            vacuous = [c["name"] for c in resting if c["passed"]]
            not_measured = [c["name"] for c in resting if not c["passed"] and not finite(c["value"])]
            ok = reached and bool(resting) and not vacuous and not not_measured
            failures += not ok
            why = ("" if ok else " — " + ("did not reach the claims cell: " + str(error) if not reached else
                                          "no claim declares it" if not resting else
                                          "still hold: " + ", ".join(vacuous) if vacuous else
                                          "fail only by a value that is not a number: " + ", ".join(not_measured)))
            print(f"{nb.stem:<32} {name} = {off!r:<6} {seconds:5.1f} s  {'ok' if ok else 'FAILED'}{why}")
            for c in claims:
                mark = "rests on it" if c in resting else "other"
                print(f"    {c['name']:<40} {c['value']:>12} {'holds' if c['passed'] else 'fails':<6} ({mark})")
            results.append({"chapter": nb.stem, "premise": name, "off": off, "seconds": round(seconds, 1),
                            "passed": ok, "error": None if reached else str(error),
                            "claims": [{"name": c["name"], "value": c["value"], "holds": c["passed"], "rests": c in resting,
                                        "null": c.get("null")}
                                       for c in claims]})
    book_chapters = all(nb in NOTEBOOKS for nb in chapters)
    out = args.out or (OUT if book_chapters and args.seed == 0 else ROOT / "_build" / "controls.json")
    if out == OUT and args.notebooks and OUT.exists():   # named chapters of the book: replace their rows
        done = {nb.stem for nb in chapters}
        results = [r for r in json.loads(OUT.read_text())["controls"] if r["chapter"] not in done] + results
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"seed": args.seed, "provenance": provenance(), "controls": results},
                              indent=1, ensure_ascii=False) + "\n")
    print(f"controls: {len(runs) - failures} of {len(runs)} premise controls pass -> {out}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
