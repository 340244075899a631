"""The crown-jewel inventory: the organisation, its applications and its data.

The inventory is a YAML file a security lead writes by hand. It is the single
source of truth for the Pulumi program and for the assessment.
"""

from __future__ import annotations

import datetime
import ipaddress
import itertools
import operator
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator

from assessment.dependency_closure import DependentsClosure
from assessment.document import Document, did_you_mean, format_path
from assessment.errors import InventoryError
from assessment.gc_pause import collector_paused

Classification = Literal["public", "internal", "confidential", "restricted"]
CLASSIFICATIONS: tuple[Classification, ...] = (
    "public",
    "internal",
    "confidential",
    "restricted",
)
StageName = Literal["traditional", "initial", "advanced", "optimal"]

# Identifiers become Kubernetes object names and label values, so they follow
# the DNS label rules.
Identifier = Annotated[
    str, Field(min_length=1, max_length=63, pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
]
Hostname = Annotated[
    str,
    Field(
        min_length=1,
        max_length=253,
        pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
    ),
]
Port = Annotated[int, Field(ge=1, le=65535)]
Text = Annotated[str, Field(min_length=1, max_length=200)]

CONTROL_NAMES = (
    "sso",
    "mfa",
    "access_proxy",
    "segmented",
    "device_posture",
    "access_logging",
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Organisation(_Strict):
    """Who is rolling out Zero Trust, with what money and by when."""

    name: Text
    users: Annotated[int, Field(ge=1)]
    budget_usd: Annotated[float, Field(ge=0)]
    target_months: Annotated[int, Field(ge=1, le=120)]
    start: datetime.date | None = None
    hourly_rate_usd: Annotated[float, Field(gt=0)] = 120.0
    """What an hour of platform engineering costs, for the effort estimate."""
    team_hours_per_month: Annotated[float, Field(gt=0)] = 320.0
    """Engineering hours the rollout team has each month."""
    wave_size: Annotated[int, Field(ge=1)] = 8
    """How many applications one wave moves through a phase."""
    target_stage: StageName = "advanced"
    """The maturity stage leadership is aiming for in every pillar."""


class Department(_Strict):
    """A part of the organisation that owns applications."""

    id: Identifier
    name: Text


class Group(_Strict):
    """A group or role in the identity provider."""

    id: Identifier
    name: Text
    department: Identifier | None = None
    members: Annotated[int, Field(ge=0)]


class Controls(_Strict):
    """The Zero Trust controls an application has today."""

    sso: bool = False
    """Sign-in goes through the organisation's identity provider."""
    mfa: bool = False
    """Every sign-in requires a second factor."""
    access_proxy: bool = False
    """Requests pass an identity-aware proxy before reaching the app."""
    segmented: bool = False
    """Network policy lets only declared peers reach the app."""
    device_posture: bool = False
    """Access depends on the identity and health of the device."""
    access_logging: bool = False
    """Every access decision is logged centrally."""

    def missing(self) -> tuple[str, ...]:
        """Names of the controls the application does not have, in a fixed order."""
        return _MISSING_BY_FLAGS[_control_flags(self)]


_control_flags = operator.attrgetter(*CONTROL_NAMES)
# An inventory has thousands of apps but only 64 combinations of controls, so
# each combination's missing names are worked out once, here.
_MISSING_BY_FLAGS: dict[tuple[bool, ...], tuple[str, ...]] = {
    flags: tuple(
        name for name, present in zip(CONTROL_NAMES, flags, strict=True) if not present
    )
    for flags in itertools.product((False, True), repeat=len(CONTROL_NAMES))
}


class Dependency(_Strict):
    """A connection an application makes to another app or a data store."""

    target: Identifier
    port: Port | None = None
    """Defaults to the port the target declares."""
    protocol: Literal["TCP", "UDP", "SCTP"] = "TCP"


class Application(_Strict):
    """An internal application, the unit the rollout moves through phases."""

    id: Identifier
    name: Text
    owner: Text
    department: Identifier
    namespace: Identifier
    host: Hostname
    port: Port
    classification: Classification
    users: Annotated[int, Field(ge=0)]
    readers: list[Identifier] = Field(min_length=1)
    writers: list[Identifier] = []
    depends_on: list[Dependency] = []
    legacy: bool = False
    """The app cannot speak OIDC itself and relies on a proxy for sign-in."""
    controls: Controls = Controls()
    crown_jewel: bool | None = None
    """Overrides the crown-jewel rule when set."""
    description: str | None = None
    pod_labels: dict[str, str] | None = None
    """Labels of the app's pods; ``app.kubernetes.io/name: <id>`` when absent."""

    @property
    def selector(self) -> dict[str, str]:
        """The labels that select the app's pods."""
        return self.pod_labels or {"app.kubernetes.io/name": self.id}


class DataStore(_Strict):
    """A database, bucket or queue that applications depend on."""

    id: Identifier
    name: Text
    kind: Literal[
        "postgresql",
        "mysql",
        "mssql",
        "oracle",
        "mongodb",
        "redis",
        "elasticsearch",
        "s3",
        "sftp",
        "kafka",
        "ldap",
    ]
    owner: Text
    department: Identifier
    namespace: Identifier | None = None
    host: Hostname
    port: Port
    classification: Classification
    encrypted_at_rest: bool = False
    backed_up: bool = False
    pod_labels: dict[str, str] | None = None
    """Labels of the store's pods when it runs in the cluster (``namespace`` set)."""
    cidr: str | None = None
    """Where an external store lives, for egress rules; any address when absent."""

    @field_validator("cidr")
    @classmethod
    def _network(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ipaddress.ip_network(value, strict=False)
            except ValueError:
                raise ValueError(
                    f"{value!r} is not an IP network in CIDR notation"
                ) from None
        return value

    @property
    def selector(self) -> dict[str, str]:
        """The labels that select the store's pods."""
        return self.pod_labels or {"app.kubernetes.io/name": self.id}


class Inventory(_Strict):
    """The whole inventory file."""

    organisation: Organisation
    departments: list[Department] = Field(min_length=1)
    groups: list[Group] = Field(min_length=1)
    applications: list[Application] = Field(min_length=1)
    data_stores: list[DataStore] = []

    def model_copy(
        self, *, update: Mapping[str, Any] | None = None, deep: bool = False
    ) -> Self:
        """A copy with ``update`` applied, its lookups worked out afresh.

        The cached lookups below live beside the fields and would otherwise be
        copied with them, describing the original's apps instead of the copy's.
        """
        copied = super().model_copy(update=update, deep=deep)
        for name in _DERIVED_LOOKUPS:
            copied.__dict__.pop(name, None)
        return copied

    @cached_property
    def apps_by_id(self) -> dict[str, Application]:
        """Applications keyed by id."""
        return {app.id: app for app in self.applications}

    @cached_property
    def stores_by_id(self) -> dict[str, DataStore]:
        """Data stores keyed by id."""
        return {store.id: store for store in self.data_stores}

    @cached_property
    def classification_counts(self) -> Counter[Classification]:
        """How many applications carry each classification."""
        return Counter(app.classification for app in self.applications)

    @cached_property
    def apps_lacking(self) -> dict[str, list[Application]]:
        """For every control, the applications without it, in file order."""
        lacking: dict[str, list[Application]] = {name: [] for name in CONTROL_NAMES}
        for app in self.applications:
            for name in app.controls.missing():
                lacking[name].append(app)
        return lacking

    @cached_property
    def dependents_closure(self) -> DependentsClosure:
        """For every app and data store, the apps that depend on it, transitively."""
        owners, targets = self.dependency_edges
        entries = [*self.apps_by_id, *self.stores_by_id]
        return DependentsClosure(entries, owners, targets)

    @cached_property
    def dependency_edges(self) -> tuple[list[str], list[str]]:
        """Every declared dependency as two columns: the app's id and its target."""
        apps = self.applications
        owners = [app.id for app in apps for _ in app.depends_on]
        targets = [dependency.target for app in apps for dependency in app.depends_on]
        return owners, targets

    @property
    def dependents(self) -> dict[str, set[str]]:
        """For every app and data store, the ids of the apps that depend on it."""
        closure = self.dependents_closure
        return {
            key: closure.members(key) for key in (*self.apps_by_id, *self.stores_by_id)
        }

    def port_of(self, dependency: Dependency) -> int:
        """The port a dependency connects to."""
        if dependency.port is not None:
            return dependency.port
        target = (
            self.apps_by_id.get(dependency.target)
            or self.stores_by_id[dependency.target]
        )
        return target.port


_DERIVED_LOOKUPS = tuple(
    name
    for name, value in vars(Inventory).items()
    if isinstance(value, cached_property)
)


def load_inventory(path: Path | str) -> Inventory:
    """Read, validate and cross-check an inventory file.

    Raises:
        InventoryError: naming the file, line, column, field and bad value.
    """
    with collector_paused():
        document = Document.read(path, InventoryError)
        if not isinstance(document.data, dict):
            raise document.error(
                (),
                "the inventory must be a mapping with 'organisation', "
                "'departments', 'groups' and 'applications'",
            )
        inventory = document.validate(Inventory)
    if _references_hold(inventory):
        return inventory
    for problem in _reference_problems(inventory):
        raise document.error(*problem)
    return inventory


def _references_hold(inventory: Inventory) -> bool:
    """Whether :func:`_reference_problems` would find nothing.

    The same rules checked over whole columns at once, through the id lookups
    and dependency columns the assessment needs next anyway: as quick as the
    walk on a large inventory, and what it builds is not built again. Only
    when a rule fails is the inventory walked entry by entry, to report the
    first problem in file order.
    """
    apps = inventory.applications
    stores = inventory.data_stores
    organisation_users = inventory.organisation.users
    departments = {department.id for department in inventory.departments}
    groups = {group.id for group in inventory.groups}
    # The lookups the assessment needs anyway; a repeated id shrinks them.
    apps_by_id = inventory.apps_by_id
    stores_by_id = inventory.stores_by_id
    dependency_owners, dependency_targets = inventory.dependency_edges
    return (
        len(departments) == len(inventory.departments)
        and len(groups) == len(inventory.groups)
        and len(apps_by_id) == len(apps)
        and len(stores_by_id) == len(stores)
        and apps_by_id.keys().isdisjoint(stores_by_id)
        and len({app.host for app in apps}) == len(apps)
        and departments.issuperset([app.department for app in apps])
        and departments.issuperset([store.department for store in stores])
        and departments.issuperset(
            [
                group.department
                for group in inventory.groups
                if group.department is not None
            ]
        )
        and max(group.members for group in inventory.groups) <= organisation_users
        and max([app.users for app in apps]) <= organisation_users
        and groups.issuperset([group for app in apps for group in app.readers])
        and groups.issuperset([group for app in apps for group in app.writers])
        and not set(dependency_targets).difference(apps_by_id, stores_by_id)
        and not any(map(operator.eq, dependency_targets, dependency_owners))
    )


def _reference_problems(
    inventory: Inventory,
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Yield (field path, message) for every broken reference, in file order."""
    departments = {department.id for department in inventory.departments}
    groups = {group.id for group in inventory.groups}
    organisation_users = inventory.organisation.users

    yield from _duplicates("departments", [d.id for d in inventory.departments])
    yield from _duplicates("groups", [g.id for g in inventory.groups])

    for index, group in enumerate(inventory.groups):
        if group.department is not None and group.department not in departments:
            yield (
                ("groups", index, "department"),
                _unknown("department", group.department, departments),
            )
        if group.members > organisation_users:
            yield (
                ("groups", index, "members"),
                f"{group.members!r} is more than the organisation's "
                f"{organisation_users} users",
            )

    targets: dict[str, tuple[str, int]] = {}
    hosts: dict[str, str] = {}
    entries: list[tuple[str, int, Application | DataStore]] = [
        ("applications", index, app) for index, app in enumerate(inventory.applications)
    ]
    entries += [
        ("data_stores", index, store)
        for index, store in enumerate(inventory.data_stores)
    ]
    for section, index, entry in entries:
        if entry.id in targets:
            yield (
                (section, index, "id"),
                f"{entry.id!r} is already used by {format_path(targets[entry.id])}; "
                "app and data store ids must be unique",
            )
        targets.setdefault(entry.id, (section, index))
        if entry.department not in departments:
            yield (
                (section, index, "department"),
                _unknown("department", entry.department, departments),
            )
        if isinstance(entry, Application):
            if entry.host in hosts:
                yield (
                    (section, index, "host"),
                    f"{entry.host!r} is already the host of {hosts[entry.host]}",
                )
            hosts.setdefault(entry.host, entry.id)

    for index, app in enumerate(inventory.applications):
        if (
            app.users <= organisation_users
            and groups.issuperset(app.readers)
            and groups.issuperset(app.writers)
            and all(
                dependency.target in targets and dependency.target != app.id
                for dependency in app.depends_on
            )
        ):
            continue
        where: tuple[str | int, ...] = ("applications", index)
        if app.users > organisation_users:
            yield (
                (*where, "users"),
                f"{app.users!r} is more than the organisation's {organisation_users} users",
            )
        for role in ("readers", "writers"):
            for position, group in enumerate(getattr(app, role)):
                if group not in groups:
                    yield ((*where, role, position), _unknown("group", group, groups))
        for position, dependency in enumerate(app.depends_on):
            if dependency.target == app.id:
                yield (
                    (*where, "depends_on", position, "target"),
                    f"{app.id!r} cannot depend on itself",
                )
            elif dependency.target not in targets:
                yield (
                    (*where, "depends_on", position, "target"),
                    _unknown("application or data store", dependency.target, targets),
                )


def _duplicates(
    section: str, ids: list[str]
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    seen: set[str] = set()
    for index, identifier in enumerate(ids):
        if identifier in seen:
            yield ((section, index, "id"), f"{identifier!r} is declared twice")
        seen.add(identifier)


def _unknown(what: str, value: str, known: Iterable[str]) -> str:
    hint = did_you_mean(value, known)
    return f"{value!r} is not a declared {what}; {hint}"
