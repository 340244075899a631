"""Evidence: facts that support or cap the stage of a maturity function.

Evidence comes from two places: facts derived from the inventory itself, and
evidence files written by collectors. A passing item says the function has
reached at least its stage; a failing item says the function cannot be above
its stage.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from assessment.document import Document, did_you_mean
from assessment.errors import EvidenceError
from assessment.inventory import Application, DataStore, Inventory
from assessment.maturity_model import MaturityModel, Stage

INVENTORY_SOURCE = "inventory"
SENSITIVE = ("confidential", "restricted")
NAMES_SHOWN = 5


@dataclass(frozen=True)
class EvidenceItem:
    """One fact about one function."""

    function: str
    """The ``pillar/function`` key the fact speaks to."""
    status: Literal["pass", "fail"]
    stage: Stage
    """For a pass, the stage shown to be reached; for a fail, the highest stage possible."""
    resource: str
    finding: str
    source: str
    """Where the fact came from: ``inventory``, or the collector and its file."""

    def as_json(self) -> dict[str, str]:
        """The item as it appears in ``ztkit assess --format json``."""
        return {
            "function": self.function,
            "status": self.status,
            "stage": self.stage.id,
            "resource": self.resource,
            "finding": self.finding,
            "source": self.source,
        }


class _FileItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    function: str
    status: Literal["pass", "fail"]
    stage: Literal["traditional", "initial", "advanced", "optimal"]
    resource: Annotated[str, Field(min_length=1)]
    finding: Annotated[str, Field(min_length=1)]


class _FileWarning(BaseModel):
    model_config = ConfigDict(extra="forbid")

    check: str
    reason: str


class EvidenceFile(BaseModel):
    """An evidence file as a collector writes it."""

    model_config = ConfigDict(extra="forbid")

    collector: Annotated[str, Field(min_length=1)]
    collected_at: datetime.datetime
    scope: str
    items: list[_FileItem]
    warnings: list[_FileWarning] = []


@dataclass(frozen=True)
class CollectedEvidence:
    """The items of one evidence file, with what its collector could not check."""

    path: Path
    collector: str
    collected_at: datetime.datetime
    scope: str
    items: list[EvidenceItem]
    warnings: list[str]


def load_evidence_file(path: Path | str, model: MaturityModel) -> CollectedEvidence:
    """Read a collector's evidence file and check every function key.

    Raises:
        EvidenceError: naming the file, line, field and the bad value.
    """
    document = Document.read(path, EvidenceError)
    parsed = document.validate(EvidenceFile)
    known = set(model.function_keys())
    source = f"{parsed.collector} ({document.path.name})"
    items: list[EvidenceItem] = []
    for index, item in enumerate(parsed.items):
        if item.function not in known:
            raise document.error(
                ("items", index, "function"),
                f"unknown function {item.function!r}; {did_you_mean(item.function, known)}",
            )
        items.append(
            EvidenceItem(
                function=item.function,
                status=item.status,
                stage=Stage.from_id(item.stage),
                resource=item.resource,
                finding=item.finding,
                source=source,
            )
        )
    return CollectedEvidence(
        path=document.path,
        collector=parsed.collector,
        collected_at=parsed.collected_at,
        scope=parsed.scope,
        items=items,
        warnings=[
            f"{parsed.collector}: {w.check} not checked: {w.reason}"
            for w in parsed.warnings
        ],
    )


def inventory_evidence(inventory: Inventory) -> list[EvidenceItem]:
    """Facts the inventory itself proves about the organisation's maturity."""
    items: list[EvidenceItem] = []
    for rule in _INVENTORY_RULES:
        items.extend(rule(inventory))
    return items


def _names(entries: Sequence[Application | DataStore]) -> str:
    """The ids of the first few entries, and how many more there are."""
    # Look at the shown entries alone: the list may hold every app of a large
    # inventory.
    shown = ", ".join(entry.id for entry in entries[:NAMES_SHOWN])
    more = len(entries) - NAMES_SHOWN
    return shown + (f" and {more} more" if more > 0 else "")


def _fact(
    function: str,
    status: Literal["pass", "fail"],
    stage: Stage,
    resource: str,
    finding: str,
) -> EvidenceItem:
    return EvidenceItem(function, status, stage, resource, finding, INVENTORY_SOURCE)


def _control_coverage(
    inventory: Inventory,
    function: str,
    control_name: str,
    control: str,
    full_coverage_stage: Stage,
) -> list[EvidenceItem]:
    """The common rule: restricted apps without a control cap the function at
    Traditional, sensitive apps without it cap it at Initial, and every app
    having it supports ``full_coverage_stage``.

    ``control_name`` is the control's field in the inventory, ``control`` how
    the findings name it.
    """
    apps = inventory.applications
    missing = inventory.apps_lacking[control_name]
    restricted_missing = [app for app in missing if app.classification == "restricted"]
    covered = len(apps) - len(missing)
    share = f"{covered} of {len(apps)} apps have {control}"

    if restricted_missing:
        restricted = inventory.classification_counts["restricted"]
        return [
            _fact(
                function,
                "fail",
                Stage.TRADITIONAL,
                _names(restricted_missing),
                f"{len(restricted_missing)} of {restricted} restricted apps lack "
                f"{control} ({_names(restricted_missing)}); {share}",
            )
        ]
    # No restricted app lacks the control, so the sensitive ones that do are
    # confidential.
    sensitive_missing = [app for app in missing if app.classification == "confidential"]
    if sensitive_missing:
        return [
            _fact(
                function,
                "fail",
                Stage.INITIAL,
                _names(sensitive_missing),
                f"{len(sensitive_missing)} confidential apps lack {control} "
                f"({_names(sensitive_missing)}); {share}",
            )
        ]
    if missing:
        return [
            _fact(
                function,
                "pass",
                Stage.INITIAL,
                "restricted and confidential apps",
                f"every restricted and confidential app has {control}; {share}",
            )
        ]
    return [
        _fact(
            function,
            "pass",
            full_coverage_stage,
            "all apps",
            f"all {len(apps)} apps have {control}",
        )
    ]


def _authentication(inventory: Inventory) -> list[EvidenceItem]:
    return _control_coverage(
        inventory,
        "identity/authentication",
        "mfa",
        "MFA",
        Stage.INITIAL,
    )


def _identity_stores(inventory: Inventory) -> list[EvidenceItem]:
    apps = inventory.applications
    without = inventory.apps_lacking["sso"]
    share = (len(apps) - len(without)) / len(apps)
    if share < 0.5:
        return [
            _fact(
                "identity/identity-stores",
                "fail",
                Stage.TRADITIONAL,
                _names(without),
                f"only {len(apps) - len(without)} of {len(apps)} apps sign in through "
                f"the central identity provider; without SSO: {_names(without)}",
            )
        ]
    if not without:
        return [
            _fact(
                "identity/identity-stores",
                "pass",
                Stage.INITIAL,
                "all apps",
                f"all {len(apps)} apps sign in through the central identity provider",
            )
        ]
    return []


def _access_management(inventory: Inventory) -> list[EvidenceItem]:
    everyone = {
        group.id
        for group in inventory.groups
        if group.members >= 0.9 * inventory.organisation.users
    }
    broad = [
        app
        for app in inventory.applications
        if app.classification in SENSITIVE and everyone.intersection(app.writers)
    ]
    if broad:
        return [
            _fact(
                "identity/access-management",
                "fail",
                Stage.TRADITIONAL,
                _names(broad),
                f"{len(broad)} confidential or restricted apps let a group of nearly "
                f"every user write: {_names(broad)}",
            )
        ]
    return []


def _resource_access(inventory: Inventory) -> list[EvidenceItem]:
    return _control_coverage(
        inventory,
        "devices/resource-access",
        "device_posture",
        "a device posture check",
        Stage.ADVANCED,
    )


def _segmentation(inventory: Inventory) -> list[EvidenceItem]:
    return _control_coverage(
        inventory,
        "networks/network-segmentation",
        "segmented",
        "default-deny segmentation",
        Stage.ADVANCED,
    )


def _application_access(inventory: Inventory) -> list[EvidenceItem]:
    items = _control_coverage(
        inventory,
        "applications-workloads/application-access",
        "access_proxy",
        "an access proxy",
        Stage.INITIAL,
    )
    apps = inventory.applications
    if all(app.controls.access_proxy and app.controls.device_posture for app in apps):
        items.append(
            _fact(
                "applications-workloads/application-access",
                "pass",
                Stage.ADVANCED,
                "all apps",
                "every app is behind an access proxy that also checks the device",
            )
        )
    return items


def _visibility(inventory: Inventory) -> list[EvidenceItem]:
    items: list[EvidenceItem] = []
    for function in (
        "identity/visibility-analytics",
        "applications-workloads/visibility-analytics",
    ):
        items += _control_coverage(
            inventory,
            function,
            "access_logging",
            "central access logging",
            Stage.INITIAL,
        )
    return items


def _categorisation(inventory: Inventory) -> list[EvidenceItem]:
    labelled = len(inventory.applications) + len(inventory.data_stores)
    return [
        _fact(
            "data/data-categorization",
            "pass",
            Stage.INITIAL,
            "inventory",
            f"all {labelled} apps and data stores carry one of four classification "
            "labels, assigned by hand",
        )
    ]


def _encryption(inventory: Inventory) -> list[EvidenceItem]:
    plain = [
        store
        for store in inventory.data_stores
        if store.classification in SENSITIVE and not store.encrypted_at_rest
    ]
    if plain:
        return [
            _fact(
                "data/data-encryption",
                "fail",
                Stage.TRADITIONAL,
                _names(plain),
                f"{len(plain)} confidential or restricted data stores are not encrypted "
                f"at rest: {_names(plain)}",
            )
        ]
    return []


def _availability(inventory: Inventory) -> list[EvidenceItem]:
    unsafe = [
        store
        for store in inventory.data_stores
        if store.classification in SENSITIVE and not store.backed_up
    ]
    if unsafe:
        return [
            _fact(
                "data/data-availability",
                "fail",
                Stage.TRADITIONAL,
                _names(unsafe),
                f"{len(unsafe)} confidential or restricted data stores have no "
                f"backup: {_names(unsafe)}",
            )
        ]
    return []


_INVENTORY_RULES: tuple[Callable[[Inventory], list[EvidenceItem]], ...] = (
    _authentication,
    _identity_stores,
    _access_management,
    _resource_access,
    _segmentation,
    _application_access,
    _visibility,
    _categorisation,
    _encryption,
    _availability,
)
