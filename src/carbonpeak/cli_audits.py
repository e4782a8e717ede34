"""CLI commands: energy audits (能源审计), the 5-year audit schedule, key units' obligations.

Registered on the main ``carbonpeak`` app by :mod:`carbonpeak.cli`.
"""

from __future__ import annotations
