"""Leave out of the PDF the code of cells tagged `hide-input` (the plotting cells).

On the web page that code sits behind a toggle; LaTeX has no toggle and printed every line
of it, 20–30 lines before each figure. The notebooks and the web pages keep it.
"""

from docutils import nodes


def _drop_hidden_inputs(app, doctree, docname):
    if app.builder.format != "latex":
        return
    for cell in list(doctree.findall(nodes.container)):
        if "tag_hide-input" in cell.get("classes", []):
            for child in list(cell.children):
                if "cell_input" in child.get("classes", []):
                    cell.remove(child)


def setup(app):
    app.connect("doctree-resolved", _drop_hidden_inputs)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
