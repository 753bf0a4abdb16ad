"""Looking inside what the workbench makes.

* :mod:`workbench.inspect.summaries`: a Distill-CF summary against real users (popularity, sizes,
  a shared projection, nearest real users, discreteness, temperature; notebook 03);
* :mod:`workbench.inspect.recommendations`: one user's top-k from a fitted model, with titles.
"""
