"""Give every table of the PDF column widths that fit the page, unless it states its own.

Without a `{tabularcolumns}` spec, Sphinx sets a table with `tabulary`, which clipped the
chapters' parameters tables ("pa-ram-e-ter", "seec", "scal") and long cells. Before each table
that has no spec, this inserts one: ragged-right `\\X` columns whose widths follow what the
columns hold (the longest word sets a floor, the mean length of the cells the share), adding up
to the line. The report writes its own specs (tools/report.py) and keeps them.
"""

from docutils import nodes
from sphinx import addnodes


def _widths(table: nodes.table) -> list[int]:
    rows = [[entry.astext() for entry in row.findall(nodes.entry)] for row in table.findall(nodes.row)]
    ncols = max((len(r) for r in rows), default=0)
    need = []
    for j in range(ncols):
        cells = [r[j] for r in rows if j < len(r)]
        longest_word = max((len(w) for c in cells for w in c.split()), default=1)
        mean = sum(len(c) for c in cells) / max(len(cells), 1)
        need.append(max(longest_word * 1.2, mean ** 0.8, 4.0))
    total = sum(need)
    widths = [max(6, round(90 * n / total)) for n in need]
    while sum(widths) > 96:                      # the floors may push past the line: take from the widest
        widths[widths.index(max(widths))] -= 1
    return widths


def _specs(app, doctree, docname):
    if app.builder.format != "latex":
        return
    for table in list(doctree.findall(nodes.table)):
        parent = table.parent
        index = parent.index(table)
        if index > 0 and isinstance(parent[index - 1], addnodes.tabular_col_spec):
            continue
        widths = _widths(table)
        if not widths:
            continue
        spec = "|" + "".join(f">{{\\raggedright\\arraybackslash}}\\X{{{w}}}{{100}}|" for w in widths)
        parent.insert(index, addnodes.tabular_col_spec(spec=spec))


def setup(app):
    app.connect("doctree-resolved", _specs)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
