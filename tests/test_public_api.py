"""The public API is what __all__ says, and each name is importable."""

import carbonpeak


def test_public_api_is_pinned():
    assert carbonpeak.__all__ == [
        "AccountResult", "CarbonPeakError", "ConfigError", "FactorError", "ImportResult",
        "InputValidationError", "NotFoundError", "RowError", "Settings", "UnitError",
        "Workspace", "__version__", "import_file", "init_workspace", "run_account",
    ]
    for name in carbonpeak.__all__:
        assert getattr(carbonpeak, name) is not None


def test_errors_inherit_builtins():
    assert issubclass(carbonpeak.InputValidationError, ValueError)
    assert issubclass(carbonpeak.NotFoundError, LookupError)
    assert issubclass(carbonpeak.ConfigError, RuntimeError)


def test_domain_imports_without_storage_or_web_stack():
    """``import carbonpeak.domain.units`` loads no database, engine or web library: the package
    ``__init__`` is lazy (issue 14)."""
    import subprocess
    import sys

    heavy = ["sqlalchemy", "alembic", "duckdb", "sqlglot", "fastapi", "pyarrow", "weasyprint"]
    code = ("import sys, carbonpeak.domain.units, carbonpeak.domain.factors; "
            f"print(','.join(m for m in {heavy!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == ""
    # and the lazy names still resolve to the defining module's objects
    from carbonpeak.services.accounting.account import run_account

    assert carbonpeak.run_account is run_account


def test_no_folder_holds_more_than_fifteen_modules():
    """The layout stays by layer, then capability (docs/architecture.md)."""
    from pathlib import Path

    root = Path(carbonpeak.__file__).parent
    crowded = {}
    for folder in [root, *[p for p in root.rglob("*") if p.is_dir()]]:
        modules = [p for p in folder.glob("*.py") if p.name != "__init__.py"]
        if "migrations" not in folder.parts and len(modules) > 15:
            crowded[str(folder.relative_to(root))] = len(modules)
    assert crowded == {}
