"""Errors a user can fix. The CLI prints their message, without a traceback, and exits non-zero."""

from __future__ import annotations


class WorkbenchError(ValueError):
    """Bad input: a file, a line, a parameter or a size that the user can change.

    The message names what was wrong and what was expected. When it is about one parameter of a
    library function, the message starts with that parameter's name and ``parameter`` holds it, so
    that the CLI can say its own flag instead (``output`` → ``--output``).
    """

    def __init__(self, message: str, *, parameter: str | None = None) -> None:
        super().__init__(message)
        self.parameter = parameter


class DataNotFoundError(WorkbenchError, FileNotFoundError):
    """A dataset or file is not where it was looked for; the message says where to put it."""


class MemoryBudgetError(WorkbenchError, MemoryError):
    """An allocation was refused before it was made, because it would not fit in memory."""


class ComputationStopped(WorkbenchError):
    """A long computation stopped because its caller asked it to (a ``should_stop`` hook answered True,
    e.g. after a panel's Stop button): what it was computing is unfinished and is not a result.

    :func:`workbench.budget.runs.budget_curve` lets it through without saving the point in progress
    (points saved before it stay), unlike other errors of a point, which it reports and goes on after.
    """
