"""The site check must fail on a broken page (and pass on a clean one).

Runs only where Debian's Chromium is installed (.ci/run installs it)."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
check_site = pytest.importorskip("check_site")

pytestmark = pytest.mark.skipif(not Path(check_site.CHROMIUM).exists(), reason="no chromium installed")

CLEAN = """<html><body><main><h1 id="top">A page</h1><p>Fine text, a <a href="#top">link</a>
and <a href="other.html">another page</a>.</p></main></body></html>"""
BROKEN = """<html><body><main><h1>Broken</h1>
<p>Unresolved {glue:text}`expr_value:.3f` and a raw {prf:theorem} box.</p>
<p>An equation left raw: $\\frac{1+\\alpha}{2} z$.</p>
<img src="missing.png" alt="a figure that is not there">
<div class="output error"><pre>Traceback (most recent call last): boom</pre></div>
<a href="nowhere.html">a broken link</a> <a href="#no-such-anchor">a broken anchor</a>
</main></body></html>"""


WIDE_TABLE = """<html><body><main><article style="width: 600px"><table><tr>
<td style="white-space: nowrap">a claim name that will not wrap, far wider than the column of text it sits in, and more and more and more and more</td>
<td>value</td></tr></table></article></main></body></html>"""


def test_a_table_wider_than_the_column_fails(tmp_path):
    (tmp_path / "wide.html").write_text(WIDE_TABLE)
    results = check_site.check_pages(tmp_path)
    assert any("table wider than the text column" in p for p in results["wide.html"]), results


SQUEEZED_TABLE = """<html><body><main><article style="width: 600px"><table style="width: 100%"><tr>
<td style="width: 92%">a long first column</td>
<td>what the paper says, a sentence of several clauses that a narrow column wraps into many short lines</td>
</tr></table></article></main></body></html>"""


def test_a_squeezed_column_of_tall_cells_fails(tmp_path):
    (tmp_path / "squeezed.html").write_text(SQUEEZED_TABLE)
    results = check_site.check_pages(tmp_path)
    assert any("table cell of more than" in p for p in results["squeezed.html"]), results
    (tmp_path / "squeezed.html").write_text(SQUEEZED_TABLE.replace("92%", "30%"))
    assert check_site.check_pages(tmp_path)["squeezed.html"] == []


MATHJAX = next((Path(sys.prefix) / "lib").glob("python3*/site-packages/sphinx-mathjax-offline/static/mathjax/tex-chtml.js"), None)


@pytest.mark.skipif(MATHJAX is None, reason="sphinx-mathjax-offline not installed")
def test_an_equation_mathjax_typesets_as_an_error_fails(tmp_path):
    page = f"""<html><head><script src="{MATHJAX.as_uri()}"></script></head><body><main><p>
    A matrix: <span class="math">\\(\\begin{{psmallmatrix}}a & b\\end{{psmallmatrix}}\\)</span>.</p></main></body></html>"""
    (tmp_path / "bad_math.html").write_text(page)
    problems = check_site.check_pages(tmp_path)["bad_math.html"]
    assert any("MathJax could not typeset" in p and "psmallmatrix" in p for p in problems), problems
    (tmp_path / "bad_math.html").write_text(page.replace("psmallmatrix", "smallmatrix").replace("a & b", "\\nablaL & b"))
    problems = check_site.check_pages(tmp_path)["bad_math.html"]
    assert any("undefined macro" in p and "nablaL" in p for p in problems), problems
    (tmp_path / "bad_math.html").write_text(page.replace("psmallmatrix", "smallmatrix"))
    assert check_site.check_pages(tmp_path)["bad_math.html"] == []


def test_clean_page_passes_and_broken_page_fails(tmp_path):
    (tmp_path / "clean.html").write_text(CLEAN)
    (tmp_path / "other.html").write_text(CLEAN)
    (tmp_path / "broken.html").write_text(BROKEN)
    results = check_site.check_pages(tmp_path, tmp_path / "shots")
    assert results["clean.html"] == []
    problems = "\n".join(results["broken.html"])
    for expected in ("raw MyST role", "untypeset", "image did not load", "error box", "broken link nowhere.html",
                     "broken anchor #no-such-anchor"):
        assert expected in problems, (expected, problems)
    assert (tmp_path / "shots" / "broken.png").stat().st_size > 0
