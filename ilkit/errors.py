"""One error hierarchy for ilkit.

The CLI turns an :class:`IlkitError` into a one-line message and its ``exit_code``; any other
exception is a bug and keeps its traceback.
"""

from __future__ import annotations


class IlkitError(Exception):
    """Base class of every error ilkit raises on purpose (bad input, failed check, ...)."""

    exit_code = 1


class UnknownEnvError(IlkitError, KeyError):
    """An environment id that ilkit does not register."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class InvalidActionError(IlkitError, ValueError):
    """An action of the wrong shape, out of the action space's bounds, or not finite."""


class CheckFailedError(IlkitError):
    """The command ran, but a check failed (``envs check``, ``verify``, ``--min-score``)."""

    exit_code = 3
