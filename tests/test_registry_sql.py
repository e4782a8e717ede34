"""Repositories own the registry's SQL (issue 14; docs/architecture.md): outside
``carbonpeak.storage`` no module builds or runs a SQLAlchemy statement.

A use case loads through a repository (``storage/registry/repositories``), calls the domain
and persists through the ORM session (``add``, ``get``, ``flush``); it imports from SQLAlchemy
only the ``Session`` type, ``Engine`` and the ``sqlalchemy.exc`` errors. DuckDB and Spark SQL
over the lake (the account) is not registry SQL and is not checked here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import carbonpeak

PACKAGE = Path(carbonpeak.__file__).parent

# what a module outside storage may import from SQLAlchemy (None: anything of that module)
ALLOWED_IMPORTS: dict[str, set[str] | None] = {
    "sqlalchemy.orm": {"Session"},
    "sqlalchemy.exc": None,
    "sqlalchemy.engine": {"Engine"},
}
# the names a registry session goes by in this code base
SESSION_NAMES = {"s", "session", "sess", "db", "ses"}
STATEMENT_CALLS = {"execute", "scalars", "scalar", "query"}

# Modules whose SQL has not moved into a repository yet. The list only shrinks: a module that
# no longer has any must leave it (the second test).
NOT_MOVED_YET = {
}


def registry_sql(source: str) -> list[str]:
    """Each SQLAlchemy statement construct or session query of ``source``, as ``line: what``."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlalchemy":
            allowed = ALLOWED_IMPORTS.get(node.module or "", set())
            found += [f"{node.lineno}: from {node.module} import {a.name}"
                      for a in node.names if allowed is not None and a.name not in allowed]
        elif isinstance(node, ast.Import):
            found += [f"{node.lineno}: import {a.name}" for a in node.names
                      if a.name.split(".")[0] == "sqlalchemy"]
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr in STATEMENT_CALLS and isinstance(node.func.value, ast.Name)
              and node.func.value.id in SESSION_NAMES):
            found.append(f"{node.lineno}: {node.func.value.id}.{node.func.attr}(")
    return found


def _offenders() -> dict[str, list[str]]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] == "storage":
            continue
        found = registry_sql(path.read_text(encoding="utf-8"))
        if found:
            out[rel.as_posix()] = found
    return out


def test_the_scan_sees_statements_and_session_queries():
    """The check can fail: each construct it looks for is found in a sample."""
    sample = (
        "from sqlalchemy import select, func\n"
        "import sqlalchemy as sa\n"
        "from sqlalchemy.orm import Session, aliased\n"
        "from sqlalchemy.exc import IntegrityError\n"
        "def f(s: Session) -> None:\n"
        "    s.execute(select(1))\n"
        "    con.execute('SELECT 1')\n"
    )
    assert registry_sql(sample) == [
        "1: from sqlalchemy import select", "1: from sqlalchemy import func",
        "2: import sqlalchemy", "3: from sqlalchemy.orm import aliased", "6: s.execute(",
    ]


def test_registry_sql_lives_in_the_repositories():
    offenders = _offenders()
    new = {m: found for m, found in offenders.items() if m not in NOT_MOVED_YET}
    assert new == {}, "move these statements into storage/registry/repositories"
    moved = sorted(NOT_MOVED_YET - offenders.keys())
    assert moved == [], "these modules have no registry SQL left: drop them from NOT_MOVED_YET"
