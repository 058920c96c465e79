"""Write book/_generated/report.md: every claim of every chapter, read from the executed notebooks.

Run by `make book` and `make test` before the book is built; never edit the output by hand.
"""

import platform
from importlib.metadata import version

import nbformat

from nbtools import NOTEBOOKS, ROOT, claims_of


def cell(text) -> str:
    """A table cell: a `|` would end it early."""
    return str(text).replace("|", "\\|").replace("\n", " ")


lines = ["| chapter | claim | paper | expected | value | holds |", "|---|---|---|---|---|---|"]
for nb in NOTEBOOKS:
    claims = claims_of(nb)
    if not claims:
        lines.append(f"| {{doc}}`../notebooks/{nb.stem}` | (no stored claims: run `make notebooks`) | | | | |")
    for c in claims:
        lines.append(f"| {{doc}}`../notebooks/{nb.stem}` | `{c['name']}` | {cell(c['paper'])} | {cell(c['expected'])} "
                     f"| {cell(c['value'])} | {'yes' if c['passed'] else '**no**'} |")
lines += ["", "## Where the stored outputs were computed", "",
          "Each chapter's outputs, which nbval compares on every `make test`, were written by `make notebooks` "
          "on this machine. If your run differs, compare your CPU's SIMD level and versions with these.", "",
          "| chapter | CPU | SIMD | OS | Python | torch | numpy | commit | date |", "|---|---|---|---|---|---|---|---|---|"]
for nb in NOTEBOOKS:
    p = nbformat.read(str(nb), as_version=4).metadata.get("linearity", {}).get("provenance")
    if p is None:
        lines.append(f"| {{doc}}`../notebooks/{nb.stem}` | (not recorded: run `make notebooks`) |||||||| ")
        continue
    simd = p["simd"] + "".join(f", {k}={v}" for k, v in p.get("kernel_settings", {}).items())
    lines.append(f"| {{doc}}`../notebooks/{nb.stem}` | {cell(p['cpu'])} | {cell(simd)} | {cell(p['os'])} "
                 f"| {p['python']} | {p['torch']} | {p['numpy']} | `{p['commit']}` | {p['date']} |")
controls = ROOT / "book" / "data" / "controls.json"
if controls.exists():
    import json

    data = json.loads(controls.read_text())
    lines += ["", "## Premise controls", "",
              f"`make controls` ran every chapter once per premise switched off (seed {data['seed']}, "
              f"commit `{data['provenance']['commit']}`, {data['provenance']['date']}). A control passes when "
              "every claim resting on the premise fails without it.", "",
              "| chapter | premise off | claim | rests on it | value without the premise | claim | control |",
              "|---|---|---|---|---|---|---|"]
    for r in data["controls"]:
        for c in r["claims"] or [{"name": "(no claims reached)", "value": "", "holds": None, "rests": False}]:
            lines.append(f"| {{doc}}`../notebooks/{r['chapter']}` | `{r['premise']} = {r['off']!r}` | `{c['name']}` "
                         f"| {'yes' if c['rests'] else ''} | {cell(c['value'])} | {'holds' if c['holds'] else 'fails'} "
                         f"| {'passes' if r['passed'] else '**fails**'} |")
versions = [("Python", platform.python_version())] + [
    (name, version(name)) for name in ("torch", "numpy", "scipy", "jupyter-book", "myst-nb", "sphinx")]
lines += ["", "## Versions used for this build of the book", "", "| package | version |", "|---|---|"]
lines += [f"| {name} | {v} |" for name, v in versions]
out = ROOT / "book" / "_generated" / "report.md"
out.parent.mkdir(exist_ok=True)
out.write_text("\n".join(lines) + "\n")
print(f"report: {sum(len(claims_of(nb)) for nb in NOTEBOOKS)} claims from {len(NOTEBOOKS)} notebooks -> "
      f"{out.relative_to(ROOT)}")
