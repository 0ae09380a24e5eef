"""Crisis handling: detection patterns, the crisis event model and its queries.

``secure_base.crisis.patterns`` holds the curated spaCy rules and ``CrisisDetector``
(also importable from here). They are imported lazily, so that code which only needs
``secure_base.crisis.models`` or ``secure_base.crisis.store`` (the action server, the
CLIs) never imports spaCy.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CATEGORIES", "CrisisDetector", "CrisisMatch"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from secure_base.crisis import patterns

        return getattr(patterns, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
