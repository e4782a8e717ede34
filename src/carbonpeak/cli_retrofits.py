"""CLI commands: Retrofit and commissioning projects, daily weather and measured savings (M&V);
plan progress (改造面积, 节能率≥15% 面积, 调适数量).

Registered on the main ``carbonpeak`` app by :mod:`carbonpeak.cli`.
"""

from __future__ import annotations
