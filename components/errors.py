"""Errors raised while turning stack config and the inventory into resources."""

from __future__ import annotations


class ComponentError(Exception):
    """Base class for every error the components package raises on purpose."""


class StackConfigError(ComponentError):
    """A ``ztkit:`` stack setting is missing or has a value that cannot work."""
