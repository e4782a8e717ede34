"""Engine, sessions and migrations of the registry."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from carbonpeak.errors import ConfigError

__all__ = ["Registry", "alembic_config"]

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    """Alembic configuration pointing at the packaged migrations and ``url``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _sqlite_pragmas(dbapi_conn: object, _record: object) -> None:
    cur = dbapi_conn.cursor()  # type: ignore[attr-defined]
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


class Registry:
    """A connection to the registry database.

    Parameters
    ----------
    url
        SQLAlchemy URL (``sqlite:///…`` or ``postgresql+psycopg://…``).
    """

    def __init__(self, url: str) -> None:
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        self.url = url
        self.engine: Engine = create_engine(url, future=True)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def upgrade(self) -> None:
        """Apply every pending migration (``alembic upgrade head``).

        On SQLite, migrations rebuild tables that others reference (batch mode), so they run
        as SQLite prescribes for schema changes: foreign keys off (outside the transaction),
        every foreign key checked before the commit, then on again.
        """
        sqlite = self.engine.dialect.name == "sqlite"
        with self.engine.connect() as conn:
            if sqlite:
                conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
                conn.commit()
            with conn.begin():
                cfg = alembic_config(self.url)
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
                if sqlite and conn.exec_driver_sql("PRAGMA foreign_key_check").first():
                    msg = "the registry's migration left rows whose foreign keys do not hold"
                    raise ConfigError(msg)
        if sqlite:  # every connection of the pool gets its foreign keys on again
            self.engine.dispose()

    def current_revision(self) -> str | None:
        """Revision the database is at, ``None`` if it was never migrated."""
        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def check_current(self) -> None:
        """Raise :class:`ConfigError` unless the schema is at the newest revision."""
        head = ScriptDirectory.from_config(alembic_config(self.url)).get_current_head()
        current = self.current_revision()
        if current != head:
            state = "is not initialised" if current is None else f"is at {current}, not {head}"
            msg = f"the registry {state}: run `carbonpeak init` first"
            raise ConfigError(msg)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in a transaction: committed on success, rolled back on error."""
        with self._sessions() as s, s.begin():
            yield s

    @property
    def is_postgresql(self) -> bool:
        """Whether the registry is PostgreSQL (shared by processes on several hosts)."""
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def advisory_lock(self, name: str) -> Iterator[None]:
        """An exclusive lock named ``name`` across processes and hosts, on PostgreSQL: a
        session-level ``pg_advisory_lock`` on a connection held until the block ends, keyed
        by ``hashtextextended(name || ':' || current_schema())`` (so registries in different
        schemas of one database do not share it). PostgreSQL releases it when the holder's
        connection ends, a killed process's too. On SQLite (one host) it does nothing: the
        caller's file lock is the lock there.
        """
        if not self.is_postgresql:
            yield
            return
        key = "hashtextextended(:name || ':' || current_schema(), 0)"
        with self.engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            conn.execute(text(f"SELECT pg_advisory_lock({key})"), {"name": name})
            try:
                yield
            finally:
                conn.execute(text(f"SELECT pg_advisory_unlock({key})"), {"name": name})

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
