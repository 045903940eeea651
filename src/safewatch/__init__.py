"""Safewatch: protection of crime victims from the person who threatens them."""

__version__ = "0.1.0"
