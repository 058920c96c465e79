"""Long names in table cells break after an underscore, not in the middle of a word.

The report's and the claims cells' tables name claims like `expr_cubic_two_layer_unexplained`.
A browser does not break code at an underscore, so such a name either widened its column (and
pushed the columns of text beside it off the page) or, with `overflow-wrap: anywhere`, broke
mid-word ("expr_odd_pa rt_error"). In the HTML build every underscore of code inside a table is
followed by a `<wbr>` (a break opportunity that copies as nothing); the PDF gets the same from
`\\_` with `\\allowbreak` in `_config.yml`.
"""

from docutils import nodes


def _break_after_underscores(app, doctree, docname):
    if app.builder.format != "html":
        return
    for table in doctree.findall(nodes.table):
        for literal in list(table.findall(nodes.literal)):
            text = literal.astext()
            if "_" not in text:
                continue
            parts = text.split("_")
            children = []
            for i, part in enumerate(parts):
                if part:
                    children.append(nodes.Text(part))
                if i < len(parts) - 1:
                    children += [nodes.Text("_"), nodes.raw("", "<wbr>", format="html")]
            literal.children = []
            literal.extend(children)


def setup(app):
    app.connect("doctree-resolved", _break_after_underscores)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
