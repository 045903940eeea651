"""The worker's memory: malloc's arenas capped (docs/performance.md: 173 MB less at 8
cameras), and the heap's freed pages given back while it runs."""

from __future__ import annotations

import platform
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from safewatch.vision import worker as worker_module
from safewatch.vision.config import SiteConfig
from safewatch.vision.memory import limit_malloc_arenas
from safewatch.vision.worker import SiteWorker

glibc_only = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc only")


@glibc_only
def test_glibc_takes_the_cap_on_malloc_arenas() -> None:
    """That glibc takes it; what it saves is measured by the region bench, not here."""
    assert limit_malloc_arenas() is True


# Frames freed inside the heap, below one still in use: glibc keeps their pages by itself.
FREED_INSIDE_THE_HEAP = """
from safewatch.vision.memory import give_back_freed_memory

def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) // 1024

frames = [bytearray(64 * 1024) for _ in range(4000)]  # 250 MB, each below the mmap threshold
in_use = bytearray(64 * 1024)
del frames
kept = rss_mb()
give_back_freed_memory()
print(kept, rss_mb())
"""


@glibc_only
def test_the_freed_pages_inside_the_heap_go_back_to_the_system() -> None:
    command = [sys.executable, "-c", FREED_INSIDE_THE_HEAP]
    out = subprocess.run(command, capture_output=True, text=True, check=True)  # noqa: S603
    kept, after = (int(v) for v in out.stdout.split())
    assert kept - after > 200, (kept, after)


def test_a_running_worker_gives_freed_memory_back_again_and_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trims: list[float] = []
    trimmed = threading.Event()

    def trim() -> bool:
        trims.append(time.monotonic())
        if len(trims) >= 3:
            trimmed.set()
        return True

    monkeypatch.setattr(worker_module, "TRIM_SECONDS", 0.1)
    monkeypatch.setattr(worker_module, "give_back_freed_memory", trim)
    site = SiteConfig.model_validate(
        {
            "site": "home-a",
            "data_dir": str(tmp_path),
            "cameras": [{"name": "front", "source": str(tmp_path / "none.mp4")}],
        }
    )
    worker = SiteWorker(site)
    worker.housekeeping.start()
    try:
        assert trimmed.wait(5), trims
    finally:
        worker.close()
