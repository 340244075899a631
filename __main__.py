"""The Pulumi program: the stack's config and the inventory, joined."""

from __future__ import annotations

import pulumi

from assessment.inventory import load_inventory
from assessment.planning import PHASES

config = pulumi.Config("ztkit")
inventory = load_inventory(config.get("inventory") or "sample/inventory.yaml")
phase = config.get_int("phase") or 0
if not 0 <= phase <= PHASES[-1].number:
    raise ValueError(f"ztkit:phase: {phase!r} is not a phase; expected 0 to 5")
wave = config.get_object("wave") or []
unknown = [app for app in wave if app not in inventory.apps_by_id]
if unknown:
    raise ValueError(f"ztkit:wave: {unknown[0]!r} is not an application of the inventory")

pulumi.export("phase", phase)
pulumi.export("wave", wave)
