"""Errors the posture gate raises on purpose."""

from __future__ import annotations


class GateError(Exception):
    """Base class for every error the gate package raises on purpose."""


class FeedError(GateError):
    """A device feed file is unreadable, malformed or truncated.

    The message names the file, the record, the field, the bad value and what
    would have been accepted.
    """


class GateConfigError(GateError):
    """The gate's posture or access policy configuration is invalid."""
