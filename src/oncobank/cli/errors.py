"""The one error path of the `oncobank` command: unexpected errors as one line, closed pipes quietly, no stray store."""

from __future__ import annotations

import os
import sys
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperGroup

from oncobank.cli.common import created_stores, fail

LOG_NAME = "oncobank-errors.log"


class GuardedGroup(TyperGroup):
    """The top-level group: nothing unexpected reaches the user as a traceback; a failed command leaves no store."""

    def invoke(self, ctx: typer.Context) -> Any:
        created_stores(forget=True)
        try:
            return super().invoke(ctx)
        except typer.Exit as exc:
            if exc.exit_code:
                remove_created_stores()
            raise
        except (typer.TyperException, typer.Abort, BrokenPipeError):
            remove_created_stores()
            raise
        except Exception as exc:  # the last line of defence: one line for the user, the frames in a log
            remove_created_stores()
            raise unexpected(exc) from None


def unexpected(exc: Exception) -> typer.Exit:
    """Log the exception's frames, print one line saying where, and return the Exit to raise."""
    log = write_trace(exc)
    where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    place = f" at {Path(where.filename).name}:{where.lineno}" if where else ""
    return fail(f"unexpected {type(exc).__name__}{place}; this is a bug. The trace (without values) is in {log}")


def run_guarded(app: Any) -> int:
    """Run the Typer app and return its exit code; a closed pipe (`oncobank … | head`) is not an error."""
    try:
        app()
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BrokenPipeError:
        _silence_stdout()
    except Exception as exc:  # raised before a command runs (building the command tree)
        return unexpected(exc).exit_code
    return 0


def write_trace(exc: BaseException) -> Path:
    """Append the exception's type and frames to the error log; messages are left out as they may hold values."""
    from oncobank.store.db import data_home

    folder = data_home() / "logs"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / LOG_NAME
    # File, line and function only: source lines and locals are left out as well as the message.
    frames = "".join(f"  {f.filename}:{f.lineno} in {f.name}\n" for f in traceback.extract_tb(exc.__traceback__))
    chain = []
    cause: BaseException | None = exc
    while cause is not None:
        chain.append(type(cause).__module__ + "." + type(cause).__qualname__)
        cause = cause.__cause__ or cause.__context__
    text = f"{datetime.now(UTC).isoformat()} {' <- '.join(chain)} (message withheld)\n{frames}\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as handle:
        handle.write(text)
    return path


def remove_created_stores() -> None:
    """A command that failed leaves no store file it created itself (with its WAL and shared-memory files)."""
    for path in created_stores(forget=True):
        for part in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            part.unlink(missing_ok=True)


def _silence_stdout() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    finally:
        os.close(devnull)
