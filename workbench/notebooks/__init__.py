"""The notebooks as a product: running them headless, their results, the HTML they produce.

* :mod:`workbench.notebooks.runs`: papermill runs of a notebook over a parameter grid;
* :mod:`workbench.notebooks.results`: the results contract every notebook's last cell fulfils;
* :mod:`workbench.notebooks.html`: self-contained offline HTML reports (text, tables, figures).
"""
