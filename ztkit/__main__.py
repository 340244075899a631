"""``python -m ztkit`` runs the command line."""

from ztkit.cli import entry_point

entry_point()
