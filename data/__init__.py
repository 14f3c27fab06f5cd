"""Bundled market data, loaders and input validation (depends on nothing else of ours)."""

from data.errors import InputError

__all__ = ["InputError"]
