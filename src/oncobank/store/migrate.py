"""Create or upgrade the clinical store's schema with Alembic migrations.

Capabilities that keep their own tables (ingest, AI evaluation, derived facts) add migration branches that
start from the core revision; upgrading goes to every head, and the store is current when all heads are applied.
"""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("oncobank.store") / "migrations"))
    return config


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Bring the store's schema up to `revision` (default: every head)."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revisions(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def head_revisions() -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


def schema_version(engine: Engine) -> str:
    """The applied revisions of the store, all of them from the first, e.g. "0001–0004"."""
    script = ScriptDirectory.from_config(alembic_config())
    applied = current_revisions(engine)
    revisions = sorted({r.revision for head in applied for r in script.iterate_revisions(head, "base")})
    if not revisions:
        return "none"
    return revisions[0] if len(revisions) == 1 else f"{revisions[0]}–{revisions[-1]} ({len(revisions)} revisions)"


def is_current(engine: Engine) -> bool:
    return current_revisions(engine) == head_revisions()
