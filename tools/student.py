"""`make student`: student versions of the chapters in _build/student/, then execute them.

    python tools/student.py [--out DIR] [--no-run] [notebooks/NN_slug.ipynb ...]

A student version is a notebook that reads well in plain Jupyter or Colab, where MyST does not
render:
- code cells tagged `solution` and every `{solution}` block are removed; every exercise stays,
  followed by an empty code cell to work in;
- each `{glue:text}` placeholder becomes the number the chapter computed (read from the stored
  outputs), and MyST roles become plain text with the numbers the book shows: "Figure 1.2",
  "(1.4)", "Exercise 1.3", "Theorem 1.1", a section's title, citations ("Zhang et al. 2025");
- directive fences (`{prf:theorem}`, `{exercise}`, `{admonition}`, ...) become bold headings
  with their number and title ("**Exercise 1.2 (A bias is enough).**") and their body as
  ordinary Markdown; `$$ … $$ (label)` shows its number as `\tag{1.4}`;
- each figure's caption (cell metadata, which plain Jupyter does not show) follows its cell.
Each student notebook is then executed with papermill to show it still runs (`--no-run` skips
that; `make book` uses it to put the student notebooks on the site as downloads).
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from collections.abc import Iterator
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


PRF = ("prf:theorem", "prf:proposition", "prf:corollary", "prf:lemma", "prf:remark", "prf:definition")
LABELLED = re.compile(r"^(`{3,}|:{3,})\{(?P<name>[\w:-]+)\}[^\n]*\n(?:^:[\w-]+:.*\n)*?^:label:\s*(?P<label>\S+)", re.M)
EQUATION = re.compile(r"\$\$[ \t]*\((?P<label>[\w:-]+)\)[ \t]*$", re.M)
SECTION = re.compile(r"^\((?P<label>[\w-]+)\)=[ \t]*\n+#+\s+(?P<title>.+)$", re.M)


def numbers(nb: nbformat.NotebookNode, chapter: int) -> dict[str, str]:
    """{label: what the book shows for a reference to it}: 'Figure 1.2', '(1.4)', 'Exercise 1.3',
    'Theorem 1.1' or a section's title, numbered per chapter in order of appearance, each kind
    with its own counter as Sphinx numbers them (numfig, sphinx-proof, sphinx-exercise)."""
    found, counts = {}, {}

    def count(kind: str) -> str:
        counts[kind] = counts.get(kind, 0) + 1
        return f"{chapter}.{counts[kind]}"

    for cell in nb.cells:
        figure = cell.metadata.get("mystnb", {}).get("figure", {})
        if cell.cell_type == "code" and figure.get("name"):
            found[figure["name"]] = f"Figure {count('figure')}"
        if cell.cell_type != "markdown":
            continue
        text = cell.source
        for m in EQUATION.finditer(text):
            found[m["label"]] = f"({count('equation')})"
        for m in SECTION.finditer(text):
            found[m["label"]] = m["title"].strip()
        for m in EXERCISE.finditer(text):           # every exercise is numbered, labelled or not
            label = LABELLED.match(text, m.start())
            number = f"Exercise {count('exercise')}"
            if label and label["name"] == "exercise":
                found[label["label"]] = number
        for m in LABELLED.finditer(text):
            if m["name"] in PRF:
                found[m["label"]] = f"{TITLES[m['name']]} {count(m['name'])}"
    return found


def plain_markdown(source: str, glue: dict[str, str], cites: dict[str, str],
                   refs: dict[str, str] | None = None, exercises: Iterator[str] | None = None) -> str:
    """MyST → Markdown that Jupyter renders (see the module docstring). `refs` maps labels to
    what the book shows (`numbers`); `exercises` yields the numbers of the exercises met, in order."""
    refs = refs or {}

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
        target = shown[2] if shown else text
        if kind in ("eq", "numref", "ref", "prf:ref") and target in refs:
            number = refs[target]
            if shown and "{number}" in shown[1]:      # {numref}`Fig. {number} <fig-x>`
                return shown[1].replace("{number}", number.split()[-1])
            return number
        if shown:
            return shown[1]
        if kind == "download":
            return text
        return f"*{text}*"

    def directive(m: re.Match) -> str:
        name, arg, body = m["name"], m["arg"].strip(), m["body"]
        label = re.search(r"^:label:\s*(\S+)", body, re.M)
        body = "\n".join(line for line in body.splitlines() if not re.match(r"^:\w[\w-]*:", line)).strip()
        title = TITLES.get(name, name.split(":")[-1].capitalize())
        if name == "exercise" and exercises is not None:
            title = next(exercises, title)
        elif name in PRF and label and label[1] in refs:
            title = refs[label[1]]                    # "Theorem 1.1"
        head = " ".join(t for t in (title, f"({arg})" if arg and title else arg) if t)
        return (f"**{head}.**\n\n" if head else "") + directive_free(body)

    def directive_free(text: str) -> str:
        return DIRECTIVE.sub(directive, text)

    def tagged(m: re.Match) -> str:                   # $$ … $$ (label): the number the book shows
        number = refs.get(m["label"], "")
        return f"\\tag{{{number.strip('()')}}}$$" if number else "$$"

    source = SOLUTION.sub("", source)
    source = directive_free(source)
    source = re.sub(r"^\(([\w-]+)\)=[ \t]*\n", "", source, flags=re.M)            # (label)= targets
    source = EQUATION.sub(tagged, source)
    return ROLE.sub(role, source)


def exercise_end(chunk: str) -> int:
    """Where the exercise directive that opens `chunk` closes (just after its closing fence)."""
    fence = re.match(r"^(`{3,}|:{3,})", chunk)[1]
    close = re.compile(rf"^{re.escape(fence)}[ \t]*$\n?", re.M).search(chunk, chunk.index("\n") + 1)
    return close.end() if close else len(chunk)


def student_version(nb: nbformat.NotebookNode, glue: dict[str, str] | None = None,
                    cites: dict[str, str] | None = None, chapter: int = 0) -> nbformat.NotebookNode:
    """The student notebook of chapter `chapter` (0: references keep their labels)."""
    glue = glued_values(nb) if glue is None else glue
    cites = citations() if cites is None else cites
    refs = numbers(nb, chapter) if chapter else {}
    exercises = iter([f"Exercise {chapter}.{k}" for k in range(1, 100)] if chapter else [])
    cells = []

    def markdown(text: str) -> None:
        text = plain_markdown(text, glue, cites, refs, exercises).strip()
        if text:
            cells.append(nbformat.v4.new_markdown_cell(text))

    for cell in nb.cells:
        if "solution" in cell.metadata.get("tags", []):
            continue
        if cell.cell_type == "markdown":   # each exercise is followed by a cell to work in
            source = SOLUTION.sub("", cell.source)
            starts = [m.start() for m in EXERCISE.finditer(source)]
            bounds = [0] + [i for i in starts if i > 0] + [len(source)]
            for a, b in zip(bounds, bounds[1:]):
                chunk = source[a:b]
                end = exercise_end(chunk) if EXERCISE.match(chunk) else len(chunk)
                markdown(chunk[:end])
                if end < len(chunk) or EXERCISE.match(chunk):
                    cells.append(nbformat.v4.new_code_cell("# Your work on the exercise above.\n"))
                    markdown(chunk[end:])      # what follows the exercise: a heading, the claims section
            continue
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cells.append(cell)
        figure = cell.metadata.get("mystnb", {}).get("figure", {})
        if cell.cell_type == "code" and figure.get("caption"):
            number = refs.get(figure.get("name", ""), "Figure")
            caption = plain_markdown(figure["caption"], glue, cites, refs).strip()
            cells.append(nbformat.v4.new_markdown_cell(f"**{number}.** {caption}"))
    nb.cells = cells
    return nb


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "student")
    parser.add_argument("--no-run", action="store_true")
    parser.add_argument("chapters", nargs="*", help="notebooks/NN_slug.ipynb (default: every chapter)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    cites, paths = citations(), []
    for path in [Path(c).resolve() for c in args.chapters] or NOTEBOOKS:
        nb = student_version(nbformat.read(str(path), as_version=4), cites=cites, chapter=int(path.stem[:2]))
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
