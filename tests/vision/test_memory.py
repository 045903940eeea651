"""The worker caps malloc's arenas (docs/performance.md: 173 MB less at 8 cameras)."""

from __future__ import annotations

import platform

import pytest

from safewatch.vision.memory import limit_malloc_arenas


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's mallopt only")
def test_glibc_takes_the_cap_on_malloc_arenas() -> None:
    """That glibc takes it; what it saves is measured by the region bench, not here."""
    assert limit_malloc_arenas() is True
