"""Errors of the dataset layer (all one-line messages; the CLI maps them to exit codes)."""

from __future__ import annotations

from ilkit.errors import CheckFailedError, IlkitError


class DatasetError(IlkitError):
    """A dataset that cannot be generated, read or converted (exit code 1)."""


class UnknownDatasetError(DatasetError, KeyError):
    """A dataset id that is neither stored locally nor generatable by ilkit."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class DatasetExistsError(DatasetError):
    """Generating would overwrite an existing dataset and ``force`` was not given."""


class VerifyFailedError(CheckFailedError):
    """``verify`` ran and found a bad file or episode (exit code 3)."""
