"""Site configurations shared by the video tests."""

from __future__ import annotations

from safewatch.vision.config import SiteConfig

WHOLE = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]
# Every person in view is inside the one boundary zone.
WHOLE_VIEW = SiteConfig.model_validate(
    {
        "site": "t",
        "cameras": [
            {
                "name": "c",
                "source": "x",
                "zones": [{"name": "all", "kind": "boundary", "polygon": WHOLE}],
            }
        ],
    }
)
