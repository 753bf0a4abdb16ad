"""The data-budget study: "is more data needed?", asked of one dataset.

* :mod:`workbench.budget.runs`: the grid dataset × sampler × budget × seed × model, run into a
  resumable results file (one tidy row per split and metric);
* :mod:`workbench.budget.curve`: :class:`~workbench.budget.curve.BudgetCurve`, one curve of that file
  (a dataset, metric, model and split) with its table, full-data value, answer and figure;
* :mod:`workbench.budget.answer`: the smallest budget that reaches a share of full data, as a sentence;
* :mod:`workbench.budget.report`: the offline HTML report of a curve;
* :mod:`workbench.budget.panel`: the ipywidgets panel of notebook 04.
"""
