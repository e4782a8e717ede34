"""Synthetic demo district (``carbonpeak demo``) and benchmark data generator."""

from carbonpeak.demo.generator import (
    DemoFiles,
    build_registry,
    generate_demo,
    iter_reading_tables,
    load_profile,
)

__all__ = [
    "DemoFiles",
    "build_registry",
    "generate_demo",
    "iter_reading_tables",
    "load_profile",
]
