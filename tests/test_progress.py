"""Long evaluations say how far they are and the time left, on a terminal only (issue 20)."""

from __future__ import annotations

import io

from rich.console import Console

from safewatch.core.progress import meter


def _console(terminal: bool) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=terminal, width=100), out


def test_a_terminal_sees_the_count_and_the_time_left() -> None:
    console, out = _console(terminal=True)
    with meter("photos", 3, console=console) as step:
        for _ in range(3):
            step()
    drawn = out.getvalue()
    assert "photos" in drawn and "3/3" in drawn and "left" in drawn


def test_json_and_pipes_stay_quiet() -> None:
    for console, out, quiet in (
        (*_console(terminal=True), True),  # --json on a terminal
        (*_console(terminal=False), False),  # a pipe or a log file
    ):
        with meter("photos", 3, quiet=quiet, console=console) as step:
            step()
        assert out.getvalue() == ""
