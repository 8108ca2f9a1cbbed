"""Progress bars on stderr (data stays on stdout), shared by every long-running job."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

_console = Console(stderr=True)


@contextlib.contextmanager
def progress_bar(total: float, description: str, *, enabled: bool = True) -> Iterator:
    """Yield ``advance(n)``; draws a bar on stderr when it is a terminal, else stays quiet."""
    if not enabled or not sys.stderr.isatty():
        yield lambda n=1: None
        return
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=_console,
        transient=False,
    )
    with bar:
        task = bar.add_task(description, total=total)
        yield lambda n=1: bar.advance(task, n)


def log(message: str) -> None:
    """A status line on stderr."""
    _console.print(message, highlight=False)
