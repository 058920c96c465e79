"""The edit loop loses nothing; stored notebooks are written atomically; twins are canonical."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

from nbtools import NOTEBOOKS, write_atomically  # noqa: E402
from tiny_chapter import chapter, write  # noqa: E402

CHAPTER = chapter("""
import linearity as lin

run = lin.setup(globals())
print(f"seed {run.seed}")
""")


def test_refresh_takes_inputs_from_the_twin_even_when_the_notebook_is_newer(tmp_path):
    md, ipynb = tmp_path / "99_tiny.md", tmp_path / "99_tiny.ipynb"
    write(md, CHAPTER)
    md.write_text(CHAPTER.replace("# A tiny chapter", "# A tiny chapter\n\nAn edit made in the twin."))
    later = md.stat().st_mtime + 10
    os.utime(ipynb, (later, later))            # an autosave or a `touch`: the notebook is newer
    before = md.read_text()
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "execute.py"), str(ipynb)],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert md.read_text() == before                                # the twin is never written
    nb = nbformat.read(str(ipynb), as_version=4)
    assert "An edit made in the twin." in nb.cells[0].source      # and its edit reached the notebook
    assert nb.cells[2].outputs[0].text == "seed 0\n"               # which was executed
    assert nb.metadata["linearity"]["provenance"]["simd"]          # with its provenance


def test_refresh_keeps_a_copy_of_inputs_only_the_notebook_had(tmp_path):
    md, ipynb = tmp_path / "98_tiny.md", tmp_path / "98_tiny.ipynb"
    write(md, CHAPTER)
    nb = nbformat.read(str(ipynb), as_version=4)
    nb.cells[0].source += "\n\nAn edit made in the notebook only."
    nbformat.write(nb, str(ipynb))
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "execute.py"), str(ipynb)],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    backup = ROOT / "_build" / "backup" / ipynb.name
    assert "previous notebook is kept as _build/backup/98_tiny.ipynb" in result.stdout
    assert "An edit made in the notebook only." in backup.read_text()
    backup.unlink()


def test_a_failed_write_leaves_the_stored_notebook_whole(tmp_path):
    path = tmp_path / "nb.ipynb"
    good = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("kept")])
    write_atomically(good, path)
    bad = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("lost")])
    bad.metadata["unserialisable"] = object()      # json.dumps fails half-way through the write
    with pytest.raises(TypeError):
        write_atomically(bad, path)
    assert nbformat.read(str(path), as_version=4).cells[0].source == "kept"
    assert [p.name for p in tmp_path.iterdir()] == ["nb.ipynb"]   # no temporary file left behind


def test_a_sync_of_a_clean_checkout_changes_nothing(tmp_path):
    """Every twin is in jupytext's own form: `jupytext --sync` rewrites no byte of either file."""
    shutil.copy2(ROOT / "jupytext.toml", tmp_path)
    (tmp_path / "notebooks").mkdir()
    for nb in NOTEBOOKS:
        for p in (nb, nb.with_suffix(".md")):
            shutil.copy2(p, tmp_path / "notebooks" / p.name)
    twins = sorted(str(p) for p in (tmp_path / "notebooks").glob("*.md"))
    subprocess.run([sys.executable, "-m", "jupytext", "--sync", "--quiet", *twins], check=True, cwd=tmp_path)
    changed = [p.name for p in sorted((tmp_path / "notebooks").iterdir())
               if p.read_bytes() != (ROOT / "notebooks" / p.name).read_bytes()]
    assert changed == []


def test_twins_read_back_to_themselves():
    """The .md twins are exactly what jupytext writes for their own cells."""
    for nb in NOTEBOOKS:
        md = nb.with_suffix(".md")
        text = md.read_text()
        assert jupytext.writes(jupytext.reads(text, fmt="md:myst"), fmt="md:myst") == text, md.name


def test_a_chapter_runs_where_home_and_the_matplotlib_config_cannot_be_written(tmp_path):
    """Nothing on stderr (nbval would fail) when HOME and MPLCONFIGDIR are not writable:
    the package gives matplotlib a temporary config directory before it is imported."""
    md = tmp_path / "97_tiny.md"
    write(md, CHAPTER.replace('print(f"seed {run.seed}")',
                              'print(f"seed {run.seed}")\nimport matplotlib.pyplot as plt\nplt.plot([0, 1])\nplt.show()'))
    blocked = tmp_path / "a_file"
    blocked.write_text("")                          # paths below a file cannot be created, even by root
    env = dict(os.environ, HOME=str(blocked / "home"), MPLCONFIGDIR=str(blocked / "mpl"))
    out = tmp_path / "out.ipynb"
    subprocess.run([sys.executable, "-m", "papermill", "--no-progress-bar", str(md.with_suffix(".ipynb")), str(out)],
                   check=True, cwd=tmp_path, env=env, capture_output=True)
    outputs = [o for c in nbformat.read(str(out), as_version=4).cells for o in c.get("outputs", [])]
    assert [o for o in outputs if o.get("name") == "stderr"] == []
    assert any(o.output_type == "display_data" and "image/png" in o.data for o in outputs)


def test_every_chapter_states_a_verdict_and_the_report_shows_it():
    from nbtools import verdicts_of

    from linearity.claims import VERDICTS

    for nb in NOTEBOOKS:
        verdicts = verdicts_of(nb)
        assert verdicts, f"{nb.name}: no claims.verdict(...) in its claims cell"
        assert all(v["status"] in VERDICTS and v["text"] for v in verdicts)
    subprocess.run([sys.executable, str(ROOT / "tools" / "report.py")], cwd=ROOT, check=True, capture_output=True)
    glance = (ROOT / "book" / "_generated" / "glance.md").read_text()
    assert glance.count("{doc}") == len(NOTEBOOKS) and "(no verdict stored)" not in glance
    # every table tells the PDF its column widths (LaTeX cut off 4 of 6 columns without them),
    # one width per column, adding up to at most the line
    lines = (ROOT / "book" / "_generated" / "report.md").read_text().splitlines()
    heads = [i for i, line in enumerate(lines) if line.startswith("|---")]
    assert len(heads) >= 2 * len(NOTEBOOKS)
    for i in heads:
        assert lines[i - 4].startswith("```{tabularcolumns}"), lines[i - 1]
        widths = [int(w) for w in re.findall(r"\\X\{(\d+)\}\{100\}", lines[i - 4])]
        assert len(widths) == lines[i - 1].count("|") - 1 and sum(widths) <= 100, lines[i - 1]


def test_a_stored_run_goes_stale_when_code_changes_not_prose(tmp_path):
    from nbtools import inputs_hash

    md = tmp_path / "97_tiny.md"
    write(md, chapter("x = 1", "y = 2"))
    before = inputs_hash(md.with_suffix(".ipynb"))
    md.write_text(md.read_text().replace("# A tiny chapter", "# A tiny chapter, with more prose"))
    assert inputs_hash(md.with_suffix(".ipynb")) == before
    md.write_text(md.read_text().replace("x = 1", "x = 3"))
    assert inputs_hash(md.with_suffix(".ipynb")) != before


def test_a_stored_run_stays_current_when_only_comments_or_docstrings_change():
    from nbtools import code_only

    before = 'def f(x):\n    """Doc."""\n    return x + 1  # a comment\n'
    assert code_only(before) == code_only('def f(x):\n    """Another doc."""\n    # new note\n    return x + 1\n')
    assert code_only(before) != code_only('def f(x):\n    """Doc."""\n    return x + 2\n')


def test_paper_executes_again_the_chapters_that_print_their_stored_run(tmp_path):
    import execute
    import paper

    assert paper.execute_again is execute.main and callable(paper.execute)   # the module, not shadowed
    md = tmp_path / "97_tiny.md"
    write(md, chapter("x = 1", "y = 2").replace("# A tiny chapter", "# A tiny chapter citing book/data/paper.json"))
    assert not paper.reads_paper_json(md.with_suffix(".ipynb"))           # prose alone does not count
    write(md, chapter("x = 1", 'stored = open("../book/data/paper.json")'))
    assert paper.reads_paper_json(md.with_suffix(".ipynb"))


def test_run_seeds_help_prints_usage_and_runs_nothing():
    out = subprocess.run([sys.executable, str(ROOT / "tools" / "run_seeds.py"), "--help"], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0 and "python tools/run_seeds.py" in out.stdout
