"""Every claim falsifiable on the page: a null that fails, or a premise whose control fails it.

    python tools/falsifiers.py          # the book: stored notebooks and book/data/controls.json

A claim of a stored notebook passes this check when

- it carries a null (`claims.check(..., null=(value, label))`) that misses its bound, or
- it declares premises, and for each of them the stored premise control
  (`book/data/controls.json`, written by `make controls`) ran the chapter to its claims cell and
  the claim failed there with a finite value (nan, an exception or an empty set is not a failure
  of the statement).

A claim with neither tests nothing that could have come out the other way. `make test` runs this
check through `tests/test_falsifiers.py`, which also shows it failing on planted claims.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from controls import finite
from nbtools import NOTEBOOKS, ROOT, claims_of

CONTROLS = ROOT / "book" / "data" / "controls.json"


def problems(chapters: dict[str, list[dict]], controls: list[dict]) -> list[str]:
    """What is wrong with the falsifiers of `chapters` ({stem: stored claims}) given the controls' rows."""
    runs = {(r["chapter"], r["premise"]): r for r in controls}
    found = []
    for stem, claims in chapters.items():
        for c in claims:
            where = f"{stem}: {c['name']}"
            null = c.get("null")
            if null is not None and null.get("holds"):
                found.append(f"{where}: its null ({null['value']}, {null['label']}) meets the bound")
            for premise in c.get("premises", []):
                run = runs.get((stem, premise))
                if run is None:
                    found.append(f"{where}: no stored control for its premise {premise!r} (make controls)")
                    continue
                if run.get("error"):
                    found.append(f"{where}: the control {premise} = {run['off']!r} did not reach the claims "
                                 f"cell ({run['error']})")
                    continue
                row = next((r for r in run["claims"] if r["name"] == c["name"]), None)
                if row is None:
                    found.append(f"{where}: the control {premise} = {run['off']!r} does not report it")
                elif row["holds"]:
                    found.append(f"{where}: still holds with {premise} = {run['off']!r} (value {row['value']})")
                elif not finite(row["value"]):
                    found.append(f"{where}: with {premise} = {run['off']!r} it fails only by a value that is "
                                 f"not a number ({row['value']})")
            if null is None and not c.get("premises"):
                found.append(f"{where}: no null and no premise: nothing shows it could fail")
    return found


def book() -> tuple[dict[str, list[dict]], list[dict]]:
    """The stored claims of every chapter and the stored premise controls."""
    controls = json.loads(CONTROLS.read_text())["controls"] if CONTROLS.exists() else []
    return {nb.stem: claims_of(nb) for nb in NOTEBOOKS}, controls


def main() -> int:
    chapters, controls = book()
    found = problems(chapters, controls)
    for line in found:
        print(line)
    total = sum(len(c) for c in chapters.values())
    unfalsified = {line.split(": ")[0] + ": " + line.split(": ")[1] for line in found}   # 'chapter: claim'
    print(f"falsifiers: {total - len(unfalsified)} of {total} claims carry a null that fails or a premise whose "
          "control fails them")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
