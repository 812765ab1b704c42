"""Print (or compare) the installed versions of OncoBank's runtime dependencies, extras left out.

The test suite must run on the versions a user's `pip install -e .` gets: the test tools may add packages, never
move a runtime one. `--save FILE` records the versions after the plain install; `--compare FILE` fails, naming
each package, if the test install changed any of them.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from packaging.requirements import Requirement


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_closure(root: str = "oncobank") -> dict[str, str]:
    """Every distribution the root needs at run time (its requirements without extras, recursively) → version."""
    seen: dict[str, str] = {}
    todo = [(root, frozenset[str]())]
    while todo:
        name, extras = todo.pop()
        try:
            dist = distribution(name)
        except PackageNotFoundError:
            continue
        key = _norm(dist.metadata["Name"])
        if key in seen and not extras:
            continue
        seen[key] = dist.version
        for text in dist.requires or []:
            req = Requirement(text)
            wanted = req.marker is None or any(
                req.marker.evaluate({"extra": e}) for e in (extras or {""})
            )
            if wanted:
                todo.append((req.name, frozenset(req.extras)))
    seen.pop(_norm(root), None)
    return dict(sorted(seen.items()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--save", type=Path, help="write the versions to this JSON file")
    group.add_argument("--compare", type=Path, help="fail if the versions differ from this JSON file")
    args = parser.parse_args()
    now = runtime_closure()
    if args.save:
        args.save.write_text(json.dumps(now, indent=1) + "\n", encoding="utf-8")
        print(f"{len(now)} runtime dependencies recorded")
        return 0
    before = json.loads(args.compare.read_text(encoding="utf-8"))
    moved = [f"{n}: {before[n]} -> {now.get(n, 'removed')}" for n in sorted(before) if now.get(n) != before[n]]
    if moved:
        print("error: the test install changed runtime dependencies a user's install gets:", file=sys.stderr)
        for line in moved:
            print(f"  {line}", file=sys.stderr)
        return 1
    print(f"test install keeps all {len(now)} runtime dependencies at the versions `pip install -e .` resolved")
    return 0


if __name__ == "__main__":
    sys.exit(main())
