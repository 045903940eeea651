"""Writing files so that a crash never leaves half of one under its final name."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def _written_aside(target: Path, data: bytes) -> str:
    """``data`` in a synced temporary file beside ``target``; its path."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp


def atomic_write(target: Path, data: bytes) -> None:
    tmp = _written_aside(target, data)
    try:
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def safe_name(name: str) -> str:
    """A plain file name: no folders, nothing hidden."""
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise ValueError(f"bad file name {name!r}")
    return name


def create_once(target: Path, data: bytes, mode: int = 0o600) -> bool:
    """Write ``target`` only if nobody has: of two processes creating it at once (two hub
    replicas' first start), one wins and both then read the same file. True if we won."""
    tmp = _written_aside(target, data)
    try:
        os.chmod(tmp, mode)
        os.link(tmp, target)  # atomic, and refuses to replace what exists
    except FileExistsError:
        return False
    finally:
        Path(tmp).unlink(missing_ok=True)
    return True
