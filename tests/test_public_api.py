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
