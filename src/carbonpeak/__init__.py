"""carbonpeak: energy and carbon accounting for district carbon-peak plans (碳达峰实施方案).

The public API is small; the command line (``carbonpeak --help``) is the main way in.
Names are loaded on first use, so ``import carbonpeak.domain.units`` costs only numpy and
pandas, not SQLAlchemy, DuckDB or the web stack.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from carbonpeak.config import Settings
    from carbonpeak.errors import (
        CarbonPeakError,
        ConfigError,
        FactorError,
        InputValidationError,
        NotFoundError,
        RowError,
        UnitError,
    )
    from carbonpeak.intake.bootstrap import init_workspace
    from carbonpeak.intake.imports import ImportResult, import_file
    from carbonpeak.services.accounting.account import AccountResult, run_account
    from carbonpeak.storage.workspace import Workspace

__version__ = "0.1.0"

#: public name -> the module that defines it
_LAZY = {
    "AccountResult": "carbonpeak.services.accounting.account",
    "run_account": "carbonpeak.services.accounting.account",
    "ImportResult": "carbonpeak.intake.imports",
    "import_file": "carbonpeak.intake.imports",
    "init_workspace": "carbonpeak.intake.bootstrap",
    "Workspace": "carbonpeak.storage.workspace",
    "Settings": "carbonpeak.config",
    **dict.fromkeys(("CarbonPeakError", "ConfigError", "FactorError", "InputValidationError",
                     "NotFoundError", "RowError", "UnitError"), "carbonpeak.errors"),
}

__all__ = [
    "AccountResult",
    "CarbonPeakError",
    "ConfigError",
    "FactorError",
    "ImportResult",
    "InputValidationError",
    "NotFoundError",
    "RowError",
    "Settings",
    "UnitError",
    "Workspace",
    "__version__",
    "import_file",
    "init_workspace",
    "run_account",
]


def __getattr__(name: str) -> Any:  # noqa: ANN401 - any public object
    module = _LAZY.get(name)
    if module is None:
        msg = f"module 'carbonpeak' has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
