"""carbonpeak: energy and carbon accounting for district carbon-peak plans (碳达峰实施方案).

The public API is small; the command line (``carbonpeak --help``) is the main way in.
"""

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
from carbonpeak.intake.imports import ImportResult, import_file
from carbonpeak.services.accounting.account import AccountResult, run_account
from carbonpeak.storage.workspace import Workspace, init_workspace

__version__ = "0.1.0"

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
