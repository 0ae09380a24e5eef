"""Crisis handling: detection rules, the crisis event model and its queries.

* ``rules.yml``, ``idioms.yml``, ``words.yml`` - the curated rules, figures of speech and
  word lists (data, for clinical review), read by ``secure_base.crisis.rules``;
* ``secure_base.crisis.language`` - the pattern language and word normalisation;
* ``secure_base.crisis.detector`` - ``CrisisDetector``, which applies the rules (also
  importable from here, with ``CrisisMatch`` and ``CATEGORIES``);
* ``secure_base.crisis.models`` and ``secure_base.crisis.store`` - crisis events.

The detector is imported lazily, so that code which only needs ``models`` or ``store``
(the action server, the CLIs) never imports spaCy or reads the rule tables.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CATEGORIES", "CrisisDetector", "CrisisMatch"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from secure_base.crisis import detector

        return getattr(detector, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
