"""Write book/_generated/report.md: the book's verdicts and every claim, read from what was run.

Run by `make book` and `make test` before the book is built; never edit the output by hand.
Sources: the executed notebooks (claims, verdicts, provenance), and where they exist the stored
runs of `make seeds` (book/data/seeds.json), `make controls` (book/data/controls.json) and
`make paper` (book/data/paper.json). A stored run whose chapter inputs (code cells and package
source) changed since is marked stale.
"""

from __future__ import annotations

import json
import platform
import shutil
from datetime import datetime, timezone
from importlib.metadata import version

import nbformat

from nbtools import NOTEBOOKS, ROOT, claims_of, commit_text, git_state, inputs_hash, verdicts_of

DATA = ROOT / "book" / "data"


def cell(text) -> str:
    """A table cell: a `|` would end it early."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def header(columns: list[str], widths: list[int]) -> list[str]:
    """A table's header rows, after the column widths (percent of the line) the PDF gives them."""
    spec = "|" + "".join(f">{{\\raggedright\\arraybackslash}}\\X{{{w}}}{{100}}|" for w in widths)
    return ["```{tabularcolumns} " + spec, "```", "", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]


def load(name: str) -> dict | None:
    path = DATA / name
    return json.loads(path.read_text()) if path.exists() else None


def marked(claim: dict) -> str:
    """A stored claim's value, marked ✘ when it does not hold."""
    return cell(claim["value"]) + ("" if claim["passed"] else " ✘")


def premises(claim: dict) -> str:
    names = claim.get("premises", [])
    return f" (rests on: {', '.join(f'`{n}`' for n in names)})" if names else ""


def falsifiers(claims: list[dict]) -> str:
    """'6 with a null, 3 by a premise control': how a chapter's claims are shown able to fail."""
    nulls = sum(c.get("null") is not None for c in claims)
    premise_only = sum(c.get("null") is None and bool(c.get("premises")) for c in claims)
    return f"{nulls} by a null, {premise_only} by a premise"


def null(claim: dict) -> str:
    """A claim's null as a table cell: '0.92 at initialisation ✔' (✘ when the null meets the bound)."""
    n = claim.get("null")
    return "—" if not n else cell(f"{n['value']} {n['label']}") + (" **✘**" if n.get("holds") else "")


def doc(nb, short: bool = False) -> str:
    """A link to a chapter: its title, or with `short` 'N. the title's words before a colon'."""
    if short:
        return f"{{doc}}`{title(nb).split(':')[0]} <../notebooks/{nb.stem}>`"
    return f"{{doc}}`../notebooks/{nb.stem}`"


def title(nb) -> str:
    """'N. Title' of a chapter, for headings (a {doc} link in a heading shows its path in the page's contents)."""
    for c in nbformat.read(str(nb), as_version=4).cells:
        if c.cell_type == "markdown":
            for line in c.source.splitlines():
                if line.startswith("# "):
                    return f"{int(nb.stem[:2])}. {line[2:].strip()}"
    return nb.stem


def stale(stored: dict, nb) -> str:
    return "" if stored.get("inputs") == inputs_hash(nb) else " (stale: the chapter's code changed since)"


seeds, controls, paper = load("seeds.json"), load("controls.json"), load("paper.json")
build_commit, build_dirty = git_state()
lines = [f"This page was generated from commit {commit_text({'commit': build_commit, 'dirty': build_dirty})} of "
         "the book. Each stored run below names the commit it ran on; what decides whether its numbers belong to "
         "this build is its inputs hash (the code of the chapter, its module and the package's shared "
         "modules, without comments and docstrings): a run whose code changed since is marked stale.", "",
         "## At a glance", "",
         *header(["chapter", "verdict", "checks"], [36, 22, 42])]
for nb in NOTEBOOKS:
    claims, verdicts = claims_of(nb), verdicts_of(nb)
    verdict = "; ".join(f"**{v['status']}**" for v in verdicts) or "(no verdict stored)"
    held = f"{sum(c['passed'] for c in claims)} of {len(claims)} hold ({falsifiers(claims)})"
    ctl = [r for r in (controls or {}).get("controls", []) if r["chapter"] == nb.stem]
    ctl_text = f"{sum(r['passed'] for r in ctl)} of {len(ctl)} pass" if ctl else "not run"
    runs = (seeds or {}).get("chapters", {}).get(nb.stem)
    seed_text = "not run"
    if runs:
        ok = sum(r["error"] is None for r in runs["runs"].values())
        seed_text = f"{ok} of {len(runs['runs'])}" + (" (stale)" if stale(runs, nb) else "")
    lines.append(f"| {doc(nb, short=True)} | {verdict} | claims: {held}; premise controls: {ctl_text}; "
                 f"seeds: {seed_text} |")

glance = lines[lines.index("## At a glance") + 2:]   # the table only: the intro has its own heading
lines += ["", "## Chapter by chapter", "",
          "For each chapter: its verdict, then every claim its claims cell asserts — the bound, the value this "
          "build computed at `seed=0`, `scale=\"ci\"`"
          + (", the value of the stored paper-scale run" if paper else "")
          + ", what the paper says and the premises the claim rests on."]
for nb in NOTEBOOKS:
    claims = claims_of(nb)
    lines += ["", f"### {title(nb)}", "", f"The chapter: {doc(nb)}", ""]
    for v in verdicts_of(nb):
        lines += [f"**Verdict: {v['status']}.** {v['text']}", ""]
    if not claims:
        lines += ["(no stored claims: run `make notebooks`)"]
        continue
    big = (paper or {}).get("chapters", {}).get(nb.stem)
    big_values = {c["name"]: c for c in (big or {}).get("claims", [])}
    lines += header(["claim: what the paper says (premises)", "value (bound)", "null (where it should fail)",
                     "paper scale", "holds"], [49, 15, 15, 13, 8]) if big else header(
        ["claim: what the paper says (premises)", "value (bound)", "null (where it should fail)", "holds"],
        [58, 18, 16, 8])
    for c in claims:
        b = big_values.get(c["name"])
        extra = f" {marked(b) if b else '—'} |" if big else ""
        lines.append(f"| `{c['name']}`: {cell(c['paper'])}{premises(c)} | {cell(c['value'])} ({cell(c['expected'])}) "
                     f"| {null(c)} |{extra} {'✔' if c['passed'] else '**✘**'} |")
    if paper and not big:
        lines += ["", "No paper-scale run of this chapter is stored (`make paper`; its parameters table says what it costs)."]
    if big:
        when = f", commit {commit_text(big)}, {big['date']}" if "commit" in big else ""
        lines += ["", f"Paper scale: seed {paper['seed']}, {big['cpu_seconds']:.0f} CPU s, "
                      f"{big['wall_seconds']:.0f} s wall{when}{stale(big, nb)}."
                  + (f" The run failed: {cell(big['error'])}" if big.get("error") else "")]

if seeds:
    lines += ["", "## Claims at other seeds", "",
              f"`make seeds` ran every chapter at seeds {', '.join(map(str, seeds['seeds']))} ({seeds['scale']} scale; "
              f"latest run: commit {commit_text(seeds['provenance'])}, {seeds['provenance']['date']}). A value marked ✘ "
              "does not hold; a chapter whose code changed since its run is marked stale."]
    for nb in NOTEBOOKS:
        runs = seeds["chapters"].get(nb.stem)
        if not runs:
            continue
        order = sorted(runs["runs"], key=int)
        names = list(dict.fromkeys(c["name"] for s in order for c in runs["runs"][s]["claims"]))
        lines += ["", f"### {title(nb)}{stale(runs, nb)}", "",
                  *header(["claim", *(f"seed {s}" for s in order)], [35] + [65 // len(order)] * len(order))]
        for name in names:
            row = []
            for s in order:
                c = next((c for c in runs["runs"][s]["claims"] if c["name"] == name), None)
                row.append("—" if c is None else marked(c))
            lines.append(f"| `{name}` | " + " | ".join(row) + " |")
        errors = [f"seed {s}: {cell(runs['runs'][s]['error'])}" for s in order if runs["runs"][s]["error"]]
        lines += ["", "Failed runs: " + "; ".join(errors)] if errors else []

if controls:
    lines += ["", "## Premise controls", "",
              f"`make controls` ran every chapter once per premise switched off (seed {controls['seed']}, "
              f"commit {commit_text(controls['provenance'])}, {controls['provenance']['date']}). A control passes when "
              "every claim resting on the premise fails without it, with a value that is a number (a nan is no "
              "failure of the statement); the other claims are shown for information."]
    for nb in NOTEBOOKS:
        rows = [r for r in controls["controls"] if r["chapter"] == nb.stem]
        if not rows:
            continue
        lines += ["", f"### {title(nb)}", "", *header(["premise off", "claim", "rests on it", "value without the premise",
                                                      "claim"], [28, 34, 10, 16, 12])]
        for r in rows:
            verdict = "control passes" if r["passed"] else "**control fails**"
            lines.append(f"| `{r['premise']} = {r['off']!r}`: {verdict} | | | | |")
            for c in r["claims"]:
                lines.append(f"| | `{c['name']}` | {'yes' if c['rests'] else ''} | {cell(c['value'])} "
                             f"| {'holds' if c['holds'] else 'fails'} |")
            if r.get("error"):
                lines.append(f"| | (did not reach the claims cell: {cell(r['error'])}) | | | |")

provenances = {nb: nbformat.read(str(nb), as_version=4).metadata.get("linearity", {}).get("provenance")
               for nb in NOTEBOOKS}


def machine(p: dict) -> list[str]:
    """CPU, SIMD level (and kernel settings), torch and numpy of a stored run."""
    simd = p["simd"] + "".join(f", {k}={v}" for k, v in p.get("kernel_settings", {}).items())
    return [cell(p["cpu"]), cell(simd), p["torch"], p["numpy"]]


machines = list(dict.fromkeys(tuple(machine(p)) for p in provenances.values() if p))   # in chapter order
shared = len(machines) == 1   # one machine wrote every chapter: say it once, not in every row
label = {m: chr(ord("A") + i) for i, m in enumerate(machines)}   # several: one letter per machine, listed once
lines += ["", "## Where the stored outputs were computed", "",
          "Each chapter's outputs, which nbval compares on every `make test`, were written by `make notebooks`"
          + (". All of them on {}, SIMD level {}, with torch {} and numpy {}.".format(*machines[0])
             if shared else " on these machines; compare your CPU's SIMD level and versions with theirs if your run "
             "differs: " + "; ".join("{} {}, SIMD level {}, torch {}, numpy {}".format(label[m], *m) for m in machines)
             + ".")
          + " The times are those of the run (one torch thread).", "",
          *(header(["chapter", "CPU s", "wall s", "commit", "date"], [44, 10, 10, 13, 23]) if shared else
            header(["chapter", "machine", "CPU s", "wall s", "commit", "date"], [40, 9, 9, 9, 12, 21]))]
for nb, p in provenances.items():
    if p is None:
        lines.append(f"| {doc(nb)} | (not recorded: run `make notebooks`) |" + " |" * (3 if shared else 4))
        continue
    cols = ([] if shared else [label[tuple(machine(p))]]) + [str(p.get("cpu_seconds", "")),
                                                            str(p.get("wall_seconds", "")), commit_text(p), p["date"]]
    lines.append(f"| {doc(nb)} | " + " | ".join(cols) + " |")
if paper:
    pv = paper["provenance"]
    workers = paper.get("workers", 1)
    lines += ["", f"The paper-scale runs: chapters run at different times, possibly on different machines, with the "
                  f"commit and date under each table where the run recorded them. The latest ran on {cell(pv['cpu'])}, "
                  f"device `{paper.get('device', 'cpu')}`, commit {commit_text(pv)}, {pv['date']}, {workers} "
                  f"worker{'' if workers == 1 else 's'}."]
versions = [("Python", platform.python_version())] + [
    (name, version(name)) for name in ("torch", "numpy", "scipy", "jupyter-book", "myst-nb", "sphinx")]
lines += ["", "## Versions used for this build of the book", "", *header(["package", "version"], [30, 30])]
lines += [f"| {name} | {v} |" for name, v in versions]
out = ROOT / "book" / "_generated" / "report.md"
out.parent.mkdir(exist_ok=True)
out.write_text("\n".join(lines) + "\n")
(out.parent / "glance.md").write_text("\n".join(glance) + "\n")   # the intro's results table

pdf = ROOT / "_build" / "latex" / "book.pdf"   # `make pdf`: offered on the site once it has been built
if pdf.exists():
    shutil.copyfile(pdf, out.parent / "book.pdf")
    built = datetime.fromtimestamp(pdf.stat().st_mtime, timezone.utc).strftime("%Y-%m-%d")
    pdf_text = (f"**The whole book as one PDF:** {{download}}`book.pdf <_generated/book.pdf>` "
                f"({pdf.stat().st_size / 2**20:.1f} MB, built {built} from the stored outputs by `make pdf`).")
else:
    (out.parent / "book.pdf").unlink(missing_ok=True)
    pdf_text = ("**The whole book as one PDF:** `make pdf` builds it from the stored outputs (it installs "
                "Debian's TeX packages if they are missing); the next `make book` offers it here.")
(out.parent / "pdf.md").write_text("```{only} html\n" + pdf_text + "\n```\n")   # the PDF does not offer itself

wheel = next((out.parent / "wheel").glob("*.whl"), None)   # `make book` builds it first
project = __import__("tomllib").loads((ROOT / "pyproject.toml").read_text())["project"]
install = ["```{only} html",
           f"Download the package, {{download}}`{wheel.name} <_generated/wheel/{wheel.name}>`, and a chapter (the "
           "download button at the top of its page, *.ipynb*), put them in one folder, and there, with Python 3.11:"
           if wheel else "`make book` builds the package's wheel and offers it here. From the wheel and a chapter, with Python 3.11:",
           "```", "", "```{only} latex",
           f"The package's wheel, `{wheel.name if wheel else 'relu_linear_book-VERSION-py3-none-any.whl'}`, is offered "
           "for download on the web version of this page; with it and a chapter's notebook in one folder, with Python 3.11:",
           "```", "", "```bash", "python3.11 -m venv .venv",
           f'.venv/bin/pip install "{wheel.name if wheel else "relu_linear_book-*.whl"}[reader]"',
           ".venv/bin/jupyter notebook 06_linear_nets_vs_regression.ipynb", "```", "",
           "The `[reader]` extra adds Jupyter and papermill (to run a chapter with other parameters, "
           "`.venv/bin/papermill 06_linear_nets_vs_regression.ipynb out.ipynb -p seed 7`). Every dependency is "
           "pinned; on Linux, pip takes PyTorch's CUDA build unless you add "
           "`--extra-index-url https://download.pytorch.org/whl/cpu` for the CPU build. From a copy of the "
           "repository, `make book` builds everything, the environment included."]
(out.parent / "install.md").write_text("\n".join(install) + "\n")
version_text = project["version"]
cite = ["```bibtex", "@book{relu_linear_book,",      # lines short enough for the text column
        "  author  = {{Contributors to ``When is a ReLU network a linear network?''}},",
        "  title   = {When is a ReLU network a linear network? A reproducible",
        "             companion to five papers on bias-free ReLU networks},",
        f"  year    = {{2026}},", f"  version = {{{version_text}}},",
        f"  note    = {{Built from commit {build_commit}{' with uncommitted changes' if build_dirty else ''}}}", "}", "```"]
(out.parent / "cite.md").write_text(
    f"*When is a ReLU network a linear network?*, version {version_text}, built from commit `{build_commit}`"
    + (" (with uncommitted changes)" if build_dirty else "") + ". As BibTeX:\n\n" + "\n".join(cite) + "\n")


def landing_figure(nb, name: str) -> str:
    """The intro's figure: the stored image of figure `name` of a chapter, with a caption (or nothing)."""
    import base64

    for c in nbformat.read(str(nb), as_version=4).cells:
        if c.metadata.get("mystnb", {}).get("figure", {}).get("name") == name:
            png = next((o["data"]["image/png"] for o in c.get("outputs", []) if "image/png" in o.get("data", {})), None)
            if png:
                (out.parent / "landing.png").write_bytes(base64.b64decode(png))
                return "\n".join([
                    "```{figure} _generated/landing.png", ":name: fig-landing",
                    ":alt: Loss curves of two-layer networks with slopes from ReLU to linear, falling in steps; "
                    "plotted against rescaled time they are one curve.", "",
                    f"The book's question in one picture (from {{doc}}`../notebooks/{nb.stem}`): on symmetric data, "
                    "two-layer bias-free networks with every slope from ReLU ($\\alpha = 0$) to linear ($\\alpha = 1$) "
                    "learn the same modes in the same sigmoidal steps (left); against the rescaled time "
                    "$\\frac{1+\\alpha}{2}t$ they are one curve, the curve of a linear network (middle).", "```"])
    return ""


(out.parent / "landing.md").write_text(landing_figure(ROOT / "notebooks" / "02_linear_dynamics.ipynb",
                                                      "fig-dyn-closed-form") + "\n")
print(f"report: {sum(len(claims_of(nb)) for nb in NOTEBOOKS)} claims from {len(NOTEBOOKS)} notebooks -> "
      f"{out.relative_to(ROOT)}")
