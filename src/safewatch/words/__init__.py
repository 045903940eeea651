"""The words people read — on the screens, in notices and on lock screens — one module per
screen family, Korean first (the default) and English. Below every layer that shows them
(the alert runtime words its notices with them, the screens theirs)."""

from __future__ import annotations

from typing import Literal

Lang = Literal["ko", "en"]
Words = dict[str, dict[Lang, str]]
