"""How far a long command has got and the time it has left, on a terminal only.

An evaluation can run for an hour (LFW's 6,000 pairs); a person at a terminal sees a bar with
the count and an estimate of the time left on stderr. Output for a program — ``--json``, a pipe,
a log file — stays as it was: nothing is drawn when stderr is not a terminal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

Step = Callable[[], None]


def _nothing() -> None:
    return None


@contextmanager
def meter(
    label: str, total: int, *, quiet: bool = False, console: Console | None = None
) -> Iterator[Step]:
    """A step function to call once per item done; it draws only on a terminal."""
    console = console or Console(stderr=True)
    if quiet or not console.is_terminal or total <= 0:
        yield _nothing
        return
    columns = (
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("elapsed"),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as bar:
        task = bar.add_task(label, total=total)
        yield lambda: bar.advance(task)
