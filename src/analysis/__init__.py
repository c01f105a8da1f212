"""foljeval: reproducible analysis for följeforskning of labour-market projects."""

import sys

__version__ = "0.1.0"

# jsonschema (imported by nbformat, papermill, nbconvert and our results.json validation)
# imports the optional package rfc3987_syntax for its "iri" format checks when it is installed
# (JupyterLab's jupyter-events installs it), and that import compiles 39 lark grammars:
# about 5 s, more than everything else a small project's build imports. Nothing in
# foljeval checks IRI formats, so the import is turned into a quick ImportError, which
# jsonschema expects for a missing optional checker. Validation is unchanged: results.json
# is still validated against its schema, dates included (report/results_file.py).
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
