"""Registry: relational metadata (SQLite by default, PostgreSQL at scale), migrated by Alembic."""
