"""The `oncobank` command line (Typer + Rich): shared helpers in `common`, one module per command group."""

from oncobank.cli.main import app, run

__all__ = ["app", "run"]
