"""CLI commands: commissioning candidates (调适) from stored interval data, with evidence.

Registered on the main ``carbonpeak`` app by :mod:`carbonpeak.cli`.
"""

from __future__ import annotations
