"""Words on the screens, Korean first (the default) and English. Dates and times are formatted
by the browser for the page's language (``Intl.DateTimeFormat``). The words themselves live
in this package (``words/``), one module per screen family."""

from __future__ import annotations

from safewatch.words import Lang, Words, app, common, console, staff

LANGS: tuple[Lang, ...] = ("ko", "en")


def _merged(*parts: Words) -> Words:
    out: Words = {}
    for part in parts:
        twice = out.keys() & part.keys()
        if twice:  # a word defined twice would silently take the last screen's meaning
            raise ValueError(f"words defined twice: {sorted(twice)}")
        out.update(part)
    return out


MESSAGES: Words = _merged(common.WORDS, app.WORDS, console.WORDS, staff.WORDS)


def texts(lang: Lang) -> dict[str, str]:
    return {key: by_lang[lang] for key, by_lang in MESSAGES.items()}


def pick(requested: str | None, fallback: str | None) -> Lang:
    for candidate in (requested, fallback):
        if candidate in LANGS:
            return candidate
    return "ko"
