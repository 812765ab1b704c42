"""The data home: the folder for embedded stores, attachments, keys, logs and working files."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_HOME = "oncobank-data"


def data_home() -> Path:
    """Folder for the embedded stores and attachments (ONCOBANK_HOME, else ./oncobank-data)."""
    return Path(os.environ.get("ONCOBANK_HOME", DEFAULT_HOME)).resolve()
