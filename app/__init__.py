"""chainrule's web layer: FastAPI routes, the Graphviz renderer, pages."""
