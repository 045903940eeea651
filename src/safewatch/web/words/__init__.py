"""The screens' words, one module per screen family, Korean first (the default) and English."""

from __future__ import annotations

from typing import Literal

Lang = Literal["ko", "en"]
Words = dict[str, dict[Lang, str]]
