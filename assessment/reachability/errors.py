"""Errors the reachability analyzer raises on purpose."""

from __future__ import annotations

from assessment.errors import InputError


class ReachabilityError(InputError):
    """Base class for every error of the reachability analyzer.

    Every such error concerns one input file; the message is one line naming
    the file, the line, the field path and the bad value.
    """


class ManifestError(ReachabilityError):
    """A manifest is unreadable, or an object in it is malformed."""


class PolicyError(ReachabilityError):
    """A NetworkPolicy breaks the rules the Kubernetes API server enforces."""
