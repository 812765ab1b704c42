"""Kill a large publish with SIGKILL while it writes (tests/engine/big_apply.py in a subprocess)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

BIG = Path(__file__).with_name("big_apply.py")


def kill_mid_apply(url: str, rows: int, writing: Callable[[], bool], timeout: float = 60.0) -> None:
    """Start the big publish, wait until `writing()` says it is under way, SIGKILL it; fail if it finished first."""
    proc = subprocess.Popen([sys.executable, str(BIG), url, str(rows)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "applying"
        deadline = time.monotonic() + timeout
        while not writing():
            assert proc.poll() is None, "the publish ended before it was seen writing"
            assert time.monotonic() < deadline, "the publish was never seen writing"
            time.sleep(0.02)
        assert proc.poll() is None, "the publish finished before the kill: make it larger"
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)


def finish(url: str, rows: int) -> None:
    """Run the big publish to its end (the next run after a kill)."""
    done = subprocess.run([sys.executable, str(BIG), url, str(rows)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
