"""`make student`: student versions of the chapters in _build/student/, then execute them.

    python tools/student.py [--out DIR] [--no-run]

A student version is a notebook that reads well in plain Jupyter or Colab, where MyST does not
render:
- code cells tagged `solution` and every `{solution}` block are removed; every exercise stays,
  followed by an empty code cell to work in;
- each `{glue:text}` placeholder becomes the number the chapter computed (read from the stored
  outputs), and MyST roles become plain text: `{eq}` labels, figure references, citations
  ("Zhang et al. 2025"), cross-references;
- directive fences (`{prf:theorem}`, `{exercise}`, `{admonition}`, ...) become bold headings
  with their body as ordinary Markdown; `$$ … $$ (label)` loses its label.
Each student notebook is then executed with papermill to show it still runs (`--no-run` skips
that; `make book` uses it to put the student notebooks on the site as downloads).
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from pathlib import Path

import nbformat

from nbtools import NOTEBOOKS, ROOT, execute_many

# a ```{solution} ...``` (3+ backticks) or :::{solution} ... ::: block, with its body
SOLUTION = re.compile(r"^(?P<fence>`{3,}|:{3,})\{solution\}.*?^(?P=fence)[ \t]*$\n?", re.M | re.S)
DIRECTIVE = re.compile(r"^(?P<fence>`{3,}|:{3,})\{(?P<name>[\w:-]+)\}[ \t]*(?P<arg>[^\n]*)\n(?P<body>.*?)^(?P=fence)[ \t]*$",
                       re.M | re.S)
EXERCISE = re.compile(r"^(`{3,}|:{3,})\{exercise\}", re.M)
ROLE = re.compile(r"\{(?P<role>[\w:]+)\}`(?P<text>[^`]*)`")
TITLES = {"prf:theorem": "Theorem", "prf:proposition": "Proposition", "prf:corollary": "Corollary",
          "prf:lemma": "Lemma", "prf:remark": "Remark", "prf:definition": "Definition", "exercise": "Exercise",
          "note": "Note", "admonition": "", "warning": "Warning", "important": "Important"}


def glued_values(nb: nbformat.NotebookNode) -> dict[str, str]:
    """{name: stored text} of every value the executed notebook glued."""
    values = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            book = output.get("metadata", {}).get("scrapbook")
            if book:
                values[book["name"]] = output["data"].get(book["mime_prefix"] + "text/plain", "")
    return values


def citations() -> dict[str, str]:
    """{bibtex key: 'Zhang et al. 2025'}: the labels of the book's bibliography (book/_ext/authoryear.py)."""
    from pybtex.database import parse_file

    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    from authoryear import AuthorYearLabels

    entries = parse_file(str(ROOT / "book" / "references.bib")).entries
    return dict(zip(entries.keys(), AuthorYearLabels().format_labels(entries.values())))


def plain_markdown(source: str, glue: dict[str, str], cites: dict[str, str]) -> str:
    """MyST → Markdown that Jupyter renders (see the module docstring)."""

    def role(m: re.Match) -> str:
        kind, text = m["role"], m["text"]
        shown = re.match(r"^(.*?)\s*<(.+)>$", text)          # {doc}`title <target>`
        if kind.startswith("glue"):
            name, _, spec = text.partition(":")
            if name not in glue:
                return f"`{name}`"
            try:
                value = ast.literal_eval(glue[name])
                return format(value, spec) if spec else str(value)
            except (ValueError, SyntaxError):
                return glue[name].strip("'\"")
        if kind.startswith("cite"):
            names = ", ".join(cites.get(k.strip(), k.strip()) for k in text.split(","))
            if kind == "cite:t":
                return re.sub(r" (\d{4})\b", r" (\1)", names)
            return f"({names})"
        if kind == "eq":
            return f"({text})"
        if shown:
            return shown[1]
        if kind == "numref":
            return f"the figure *{text}*"
        if kind == "download":
            return text
        return f"*{text}*"

    def directive(m: re.Match) -> str:
        name, arg, body = m["name"], m["arg"].strip(), m["body"]
        body = "\n".join(line for line in body.splitlines() if not re.match(r"^:\w[\w-]*:", line)).strip()
        title = TITLES.get(name, name.split(":")[-1].capitalize())
        head = " ".join(t for t in (title, f"({arg})" if arg and title else arg) if t)
        return (f"**{head}.**\n\n" if head else "") + directive_free(body)

    def directive_free(text: str) -> str:
        return DIRECTIVE.sub(directive, text)

    source = SOLUTION.sub("", source)
    source = directive_free(source)
    source = re.sub(r"^\(([\w-]+)\)=[ \t]*\n", "", source, flags=re.M)            # (label)= targets
    source = re.sub(r"\$\$[ \t]*\([\w:-]+\)[ \t]*$", "$$", source, flags=re.M)      # $$ … $$ (label)
    return ROLE.sub(role, source)


def student_version(nb: nbformat.NotebookNode, glue: dict[str, str] | None = None,
                    cites: dict[str, str] | None = None) -> nbformat.NotebookNode:
    glue = glued_values(nb) if glue is None else glue
    cites = citations() if cites is None else cites
    cells = []
    for cell in nb.cells:
        if "solution" in cell.metadata.get("tags", []):
            continue
        if cell.cell_type == "markdown":   # one markdown cell per exercise, each followed by a cell to work in
            starts = [m.start() for m in EXERCISE.finditer(cell.source)]
            bounds = [0] + [i for i in starts if i > 0] + [len(cell.source)]
            for a, b in zip(bounds, bounds[1:]):
                chunk = cell.source[a:b]
                cells.append(nbformat.v4.new_markdown_cell(plain_markdown(chunk, glue, cites).strip()))
                if EXERCISE.search(chunk):
                    cells.append(nbformat.v4.new_code_cell("# Your work on the exercise above.\n"))
            continue
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cells.append(cell)
    nb.cells = cells
    return nb


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "student")
    parser.add_argument("--no-run", action="store_true")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    cites, paths = citations(), []
    for path in NOTEBOOKS:
        nb = student_version(nbformat.read(str(path), as_version=4), cites=cites)
        target = args.out / path.name
        nbformat.write(nb, str(target))
        paths.append(target)
    if args.no_run:
        print(f"student: {len(paths)} notebooks -> {args.out}")
        return 0
    failed = 0
    for path, seconds, error in execute_many([(p,) for p in paths]):
        print(f"student {path.name:<40} {seconds:6.1f} s  {'runs' if error is None else 'FAILED: ' + error}")
        failed += error is not None
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
