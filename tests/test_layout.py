"""The code's shape (issue 22): one module, one responsibility, at most 400 lines. The few
still over are listed with the length they may not pass, so they only shrink."""

from __future__ import annotations

from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "safewatch"
LIMIT = 400
STILL_OVER = {
    # a migration is a record of what was done to the database: never edited, never split
    "store/migrations/versions/0001_initial_schema.py": 568,
    # issue 22: the alert runtime consumes committed deliveries by id (the lease leaves it)
    "alerts/dispatcher.py": 416,
    # the camera's outbox and its quarantine in one class: to be parted
    "vision/outbox.py": 402,
}


def test_no_module_grows_past_its_limit() -> None:
    lengths = {
        str(path.relative_to(SRC)): len(path.read_text(encoding="utf-8").splitlines())
        for path in SRC.rglob("*.py")
    }
    over = {name: n for name, n in lengths.items() if n > STILL_OVER.get(name, LIMIT)}
    assert not over, f"modules over {LIMIT} lines (split them by responsibility): {over}"
    assert set(STILL_OVER) <= set(lengths), "a listed module is gone: take it off the list"
