"""The ``carbonpeak`` command.

Start here::

    carbonpeak init --profile huangpu          # registry, factor library, district and streets
    carbonpeak import entities entities.csv    # then meters, readings, ledger, statistics
    carbonpeak account --year 2024 --out out/  # the energy and CO2 account
    carbonpeak demo                            # all of the above on a generated demo district

One module per capability; each registers its commands on :data:`carbonpeak.cli.common.app`
when imported, and the shared options live in :mod:`carbonpeak.cli.common`.
"""

from __future__ import annotations

from carbonpeak.cli import (  # noqa: F401  (imported to register their commands)
    accounting,
    audits,
    buildings,
    commissioning,
    data,
    demo,
    feeds,
    maps,
    metrics,
    plan,
    projects,
    report,
    retrofits,
    supervision,
)
from carbonpeak.cli.common import app
from carbonpeak.cli.energy import (
    dr,  # noqa: F401  (the virtual power plant's commands)
    pv,  # noqa: F401  (registers ``carbonpeak pv``)
)

__all__ = ["app", "main"]


def main() -> None:
    """Entry point for ``python -m carbonpeak``."""
    app(prog_name="carbonpeak")
