"""Collectors: read the real environment and write evidence files.

Answers are opinions; evidence is what the systems say. Each collector turns
what it reads into observations, judges them against its table of rules, and
writes an evidence file that ``ztkit assess --evidence FILE`` reads.
"""

from __future__ import annotations

from assessment.collectors.errors import CollectorError

__all__ = ["CollectorError"]
