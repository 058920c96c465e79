"""The PDF's structure: parts named as in the web book's sidebar, an introduction chapter.

Sphinx's LaTeX builder (i) titles the table of contents with the caption of the root page's
first toctree ("GETTING STARTED"), (ii) drops the toctrees' captions, so the PDF had no parts,
and (iii) makes every section of the root page a chapter of its own, so the front page became
five untitled short chapters. For the LaTeX build only, this

- keeps "Contents" as the title of the table of contents;
- puts `\\part{caption}` where each toctree with a caption was (the pages it includes follow);
- gathers the root page's text and sections into one chapter, "Introduction".

The HTML book is not touched (raw LaTeX is ignored there).
"""

from docutils import nodes
from sphinx import addnodes


def _builder_inited(app):
    if app.builder.format == "latex":
        app.builder.get_contentsname = lambda indexfile: ""      # LaTeX's own "Contents"


def _parts(app, doctree):
    """Before each captioned toctree of the root page: a raw \\part (ignored by HTML)."""
    if app.env.docname != app.config.root_doc:
        return
    for toctree in list(doctree.findall(addnodes.toctree)):
        caption = toctree.get("caption")
        holder = toctree.parent if isinstance(toctree.parent, nodes.compound) else toctree
        if caption:
            holder.parent.insert(holder.parent.index(holder),
                                 nodes.raw("", f"\\part{{{caption}}}\n", format="latex"))


def _introduction(app, doctree, docname):
    if app.builder.format != "latex" or docname != app.config.root_doc:
        return
    root = next(iter(doctree.findall(nodes.section)), None)
    if root is None:
        return
    children = list(root.children)
    first = next((i for i, c in enumerate(children)
                  if isinstance(c, addnodes.start_of_file)
                  or (isinstance(c, nodes.raw) and c.astext().startswith("\\part"))), len(children))
    intro = nodes.section(ids=["pdf-introduction"])
    intro += nodes.title("Introduction", "Introduction")
    settings = [c for c in children[1:first] if isinstance(c, nodes.raw) and "secnumdepth" in c.astext()]
    for child in children[1:first]:
        root.remove(child)
        if child not in settings:
            intro += child
    for k, raw in enumerate(settings):            # the page's LaTeX settings (unnumbered) come first
        root.insert(1 + k, raw)
    root.insert(1 + len(settings), intro)


def setup(app):
    app.connect("builder-inited", _builder_inited)
    app.connect("doctree-read", _parts, priority=900)   # after sphinx-external-toc adds the toctrees
    app.connect("doctree-resolved", _introduction)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
