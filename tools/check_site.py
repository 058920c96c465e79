"""`make test-site`: open every page of the built book in headless Chromium and check it.

    python tools/check_site.py [HTML_DIR] [--screenshots DIR]

A page fails when it shows: an equation MathJax did not typeset (raw $…$, \\(…\\), \\frac…) or
typeset as an error (an undefined macro such as \\nablaL),
an image that did not load, an error or traceback box, unresolved glue or raw directive
text ({glue:text}, {prf:theorem}, :::, ```{…}), plain-text math outside math and code (W_1,
x^2, a stray backslash), a display equation or a table wider than the text column at 1280 px, a
table cell wrapped into more than four lines at 1280 px (a squeezed column), anything
past the screen's edge at 390 px outside a scrollable box, or an internal link to a missing
page or anchor. Full-page screenshots of every page at 1280 px go to _build/screenshots/, at
390 px to _build/screenshots/390px/. Uses Debian's
/usr/bin/chromium through Playwright (no browser download). Exit 1 if any page fails.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
RAW_TEXT = [
    (re.compile(r"\{(glue|glue:text|glue:any|glue:figure|prf:\w+|doc|ref|cite(:t|:p)?|numref|eq|math|exercise|solution)\}"),
     "raw MyST role or directive"),
    (re.compile(r"^\s*(:::|```\{)", re.M), "raw directive fence"),
    (re.compile(r"(?<![\w$])\$\$?[^$\n]*\\[a-zA-Z]+[^$\n]*\$\$?"), "untypeset $…$ math"),
    (re.compile(r"\\\(|\\\[|\\frac|\\begin\{"), "untypeset LaTeX"),
    (re.compile(r"Traceback \(most recent call last\)"), "traceback"),
    (re.compile(r"\\"), "raw backslash (an escape that did not render)"),
    (re.compile(r"[A-Za-zα-ωΑ-Ω)\]][_^][A-Za-z0-9{(α-ω]"), "plain-text subscript or power (write it as $…$ math)"),
]
ROW_LINES = 4     # a table cell wrapped into more lines than this fails the check
# display equations wider than the text column, and anything past the right edge of a phone's
# screen that is not inside a scrollable box (code, outputs, tables)
LAYOUT_JS = """() => {
  const scrolls = el => { for (; el; el = el.parentElement) {
      const o = getComputedStyle(el).overflowX; if (o === 'auto' || o === 'scroll') return true; } return false; };
  const wide = [...document.querySelectorAll('main mjx-container[display="true"]')]
      .filter(m => m.scrollWidth > m.clientWidth + 1
                || m.getBoundingClientRect().width > m.parentElement.getBoundingClientRect().width + 1)
      .map(m => (m.getAttribute('aria-label') || m.textContent).slice(0, 60));
  const past = [...document.querySelectorAll('main p, main li, main mjx-container, main figure, main img')]
      .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !scrolls(e))
      .map(e => e.tagName.toLowerCase() + ': ' + (e.textContent || e.getAttribute('src') || '').slice(0, 50));
  // tables: none wider than the text column (a hidden column is a hidden claim), no cell whose
  // text wraps into more than ROW_LINES lines (a squeezed column makes tall rows of blank space
  // beside it; the rows of a table laid out as cards are as tall as their cells need)
  const column = (document.querySelector('main article') || document.querySelector('main')).getBoundingClientRect();
  const tables = [...document.querySelectorAll('main table')];
  const wideTables = tables.filter(t => Math.max(t.scrollWidth, t.getBoundingClientRect().width) > column.width + 1)
      .map(t => `${Math.round(Math.max(t.scrollWidth, t.getBoundingClientRect().width))} px in a ${Math.round(column.width)} px column: ` + t.innerText.slice(0, 40));
  const tallRows = [];
  for (const t of tables) for (const cell of t.querySelectorAll('td, th')) {
    const range = document.createRange(); range.selectNodeContents(cell);
    const h = range.getBoundingClientRect().height, line = parseFloat(getComputedStyle(cell).lineHeight) || 24;
    if (h > ROW_LINES * line) tallRows.push(`${Math.round(h)} px (${(h / line).toFixed(1)} lines): ` + cell.innerText.slice(0, 40));
  }
  return {wide, past, wideTables, tallRows};
}""".replace("ROW_LINES", str(ROW_LINES))
# text of a page a reader sees, leaving out code and outputs that legitimately show code
VISIBLE_TEXT_JS = """() => {
  const skip = new Set(['PRE', 'CODE', 'SCRIPT', 'STYLE', 'MJX-CONTAINER', 'MJX-ASSISTIVE-MML', 'TEXTAREA']);
  const root = document.querySelector('main') || document.body;
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {acceptNode(node) {
    for (let el = node.parentElement; el; el = el.parentElement) {
      if (skip.has(el.tagName)) return NodeFilter.FILTER_REJECT;
    }
    return NodeFilter.FILTER_ACCEPT;
  }});
  const parts = [];
  while (walker.nextNode()) parts.push(walker.currentNode.textContent);
  return parts.join('');
}"""
PAGE_FACTS_JS = """async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) { await MathJax.startup.promise; }
  const imgs = [...document.querySelectorAll('main img')].map(i => ({src: i.getAttribute('src'), ok: i.complete && i.naturalWidth > 0}));
  const errors = [...document.querySelectorAll('.output.error, .output.traceback, .output.stderr, .system-message, .problematic, div.cell_output .traceback')]
      .map(e => e.innerText.slice(0, 120));
  const links = [...document.querySelectorAll('main a[href]')].map(a => a.getAttribute('href'));
  const ids = [...document.querySelectorAll('[id]')].map(e => e.id);
  const mathNodes = document.querySelectorAll('main .math, main span.math, main div.math').length;
  const typeset = document.querySelectorAll('main mjx-container').length;
  // an unknown environment is an merror; an undefined macro, red text (MathJax's noundefined)
  const mathErrors = [...document.querySelectorAll('main mjx-merror')].map(e => e.getAttribute('data-mjx-error') || e.textContent)
      .concat([...document.querySelectorAll('main mtext[mathcolor="red"]')].map(e => 'undefined macro ' + e.textContent));
  return {imgs, errors, links, ids, mathNodes, typeset, mathErrors};
}"""


def check_links(page: Path, html_dir: Path, links: list[str], ids_of) -> list[str]:
    problems = []
    for href in links:
        if not href or urlparse(href).scheme in ("http", "https", "mailto", "data", "javascript"):
            continue
        path, frag = urldefrag(href)
        target = (page.parent / unquote(path)).resolve() if path else page
        if path and not target.exists():
            problems.append(f"broken link {href}")
        elif frag and target.suffix == ".html" and frag not in ids_of(target):
            problems.append(f"broken anchor {href}")
    return problems


def check_pages(html_dir: Path, shots: Path | None = None) -> dict[str, list[str]]:
    """Return {page: [problems]} for every HTML page under `html_dir` (skipping search/genindex)."""
    from playwright.sync_api import sync_playwright

    pages = sorted(p for p in html_dir.rglob("*.html")
                   if not p.relative_to(html_dir).parts[0].startswith("_") and p.name not in ("search.html", "genindex.html"))
    ids_cache: dict[Path, set[str]] = {}
    results = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        ctx = browser.new_context(viewport={"width": 1280, "height": 1600})
        tab = ctx.new_page()
        messages: list[str] = []
        tab.on("pageerror", lambda exc: messages.append(f"javascript error: {exc}"))

        def ids_of(target: Path) -> set[str]:
            if target not in ids_cache:
                ids_cache[target] = set(re.findall(r'\bid="([^"]+)"', target.read_text(errors="replace")))
            return ids_cache[target]

        for page in pages:
            redirect = re.search(r'http-equiv="refresh" content="\d+;\s*url=([^"]+)"', page.read_text(), re.I)
            if redirect:  # index.html only forwards to the first page: check its target exists
                results[str(page.relative_to(html_dir))] = check_links(page, html_dir, [redirect[1]], ids_of)
                continue
            messages.clear()
            tab.goto(page.as_uri(), wait_until="load")
            facts = tab.evaluate(PAGE_FACTS_JS)
            tab.wait_for_timeout(100)
            text = tab.evaluate(VISIBLE_TEXT_JS)
            problems = list(messages)
            problems += [f"image did not load: {i['src']}" for i in facts["imgs"] if not i["ok"]]
            problems += [f"error box: {e!r}" for e in facts["errors"]]
            if facts["mathNodes"] and not facts["typeset"]:
                problems.append(f"{facts['mathNodes']} equations, none typeset by MathJax")
            problems += [f"equation MathJax could not typeset: {e!r}" for e in facts["mathErrors"]]
            for pattern, what in RAW_TEXT:   # every occurrence, so one run lists everything to fix
                problems += [f"{what}: {text[max(0, m.start() - 30): m.end() + 30]!r}" for m in pattern.finditer(text)]
            layout = tab.evaluate(LAYOUT_JS)
            problems += [f"display equation wider than the text column: {w!r}" for w in layout["wide"]]
            problems += [f"table wider than the text column at 1280 px: {w!r}" for w in layout["wideTables"]]
            problems += [f"table cell of more than {ROW_LINES} lines of text at 1280 px: {w!r}" for w in layout["tallRows"]]
            tab.set_viewport_size({"width": 390, "height": 844})
            problems += [f"past the edge of a 390 px screen: {w!r}" for w in tab.evaluate(LAYOUT_JS)["past"]]
            if shots is not None:            # what a phone shows, beside the 1280 px screenshot
                phone = shots / "390px" / page.relative_to(html_dir).with_suffix(".png")
                phone.parent.mkdir(parents=True, exist_ok=True)
                tab.screenshot(path=str(phone), full_page=True)
            tab.set_viewport_size({"width": 1280, "height": 1600})
            problems += check_links(page, html_dir, facts["links"], ids_of)
            ids_cache[page] = set(facts["ids"])
            if shots is not None:
                out = shots / page.relative_to(html_dir).with_suffix(".png")
                out.parent.mkdir(parents=True, exist_ok=True)
                tab.screenshot(path=str(out), full_page=True)
            results[str(page.relative_to(html_dir))] = problems
        browser.close()
    return results


def main(argv: list[str]) -> int:
    root = Path(__file__).resolve().parents[1]
    html_dir = Path(argv[0]) if argv and not argv[0].startswith("--") else root / "_build" / "html"
    shots = Path(argv[argv.index("--screenshots") + 1]) if "--screenshots" in argv else root / "_build" / "screenshots"
    if not Path(CHROMIUM).exists():
        print(f"site: no {CHROMIUM}; install Debian's chromium (apt-get install chromium)")
        return 1
    results = check_pages(html_dir, shots)
    bad = {p: probs for p, probs in results.items() if probs}
    for page, problems in bad.items():
        for problem in problems:
            print(f"{page}: {problem}")
    print(f"site: {len(results) - len(bad)} of {len(results)} pages clean; screenshots in {shots}")
    return 1 if bad or not results else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
