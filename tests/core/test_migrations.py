"""The Alembic migrations are the only way the store is built: they must match the models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from xinyong.core.db import Database
from xinyong.registry import metadata


def test_migrations_match_models(db: Database) -> None:
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = [
            d
            for d in compare_metadata(ctx, metadata)
            # Search helpers (FTS5 virtual tables, trigram indexes) live only in migrations.
            if not (d[0] in ("remove_table", "remove_index") and _is_search_helper(d[1]))
        ]
    assert diff == []


def _is_search_helper(obj: object) -> bool:
    name = getattr(obj, "name", "") or ""
    return "fts" in name or "trgm" in name or name == "alembic_version"
