"""The one error the analysis-store engine raises: a refused name, type, URL or store, said in one line."""

from __future__ import annotations


class EngineError(ValueError):
    """Something the analysis store cannot do as asked; the message names the table, column, URL or file."""
