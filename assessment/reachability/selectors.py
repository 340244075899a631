"""Kubernetes label selectors: ``matchLabels`` and ``matchExpressions``.

A selector is a conjunction of requirements. ``matchLabels`` entries are
``In`` requirements with one value. ``NotIn`` and ``DoesNotExist`` match an
object that lacks the key; ``In`` and ``Exists`` do not. An empty selector
matches everything; an absent one (``None`` where a selector is optional)
is the caller's business.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast

from assessment.document import did_you_mean
from assessment.reachability.errors import PolicyError, ReachabilityError
from assessment.reachability.source import ObjectSource

Operator = Literal["In", "NotIn", "Exists", "DoesNotExist"]
OPERATORS: tuple[Operator, ...] = ("In", "NotIn", "Exists", "DoesNotExist")
_NAME = r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?"
_DNS_SUBDOMAIN = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
_LABEL_NAME = re.compile(_NAME)
_LABEL_PREFIX = re.compile(_DNS_SUBDOMAIN)
_SELECTOR_FIELDS = ("matchLabels", "matchExpressions")
_EXPRESSION_FIELDS = ("key", "operator", "values")


@dataclass(frozen=True, slots=True)
class Requirement:
    """One condition on one label key."""

    key: str
    operator: Operator
    values: frozenset[str] = frozenset()

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether an object with ``labels`` meets the condition."""
        if self.operator == "In":
            value = labels.get(self.key)
            return value is not None and value in self.values
        if self.operator == "NotIn":
            value = labels.get(self.key)
            return value is None or value not in self.values
        if self.operator == "Exists":
            return self.key in labels
        return self.key not in labels

    def describe(self) -> str:
        """The requirement in ``kubectl``'s selector syntax."""
        values = ",".join(sorted(self.values))
        if self.operator == "In" and len(self.values) == 1:
            return f"{self.key}={values}"
        if self.operator == "NotIn" and len(self.values) == 1:
            return f"{self.key}!={values}"
        if self.operator == "In":
            return f"{self.key} in ({values})"
        if self.operator == "NotIn":
            return f"{self.key} notin ({values})"
        if self.operator == "Exists":
            return self.key
        return f"!{self.key}"


@dataclass(frozen=True, slots=True)
class Selector:
    """A label selector; two selectors with the same requirements are equal."""

    requirements: tuple[Requirement, ...] = ()

    @classmethod
    def of(
        cls,
        match_labels: Mapping[str, str] | None = None,
        *expressions: Requirement,
    ) -> Selector:
        """A selector from labels and requirements, in canonical order."""
        requirements = {
            Requirement(key, "In", frozenset({value}))
            for key, value in (match_labels or {}).items()
        }
        requirements.update(expressions)
        return cls(tuple(sorted(requirements, key=_requirement_order)))

    @property
    def is_empty(self) -> bool:
        """Whether the selector matches every object."""
        return not self.requirements

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether an object with ``labels`` is selected."""
        return all(requirement.matches(labels) for requirement in self.requirements)

    def describe(self) -> str:
        """The selector in ``kubectl``'s syntax; ``{}`` when it selects all."""
        if not self.requirements:
            return "{}"
        return ",".join(requirement.describe() for requirement in self.requirements)


EVERYTHING = Selector()
"""The empty selector."""


def _requirement_order(requirement: Requirement) -> tuple[str, str, tuple[str, ...]]:
    return requirement.key, requirement.operator, tuple(sorted(requirement.values))


def parse_selector(
    raw: Any,
    source: ObjectSource,
    field: tuple[str | int, ...],
    error_class: type[ReachabilityError] = PolicyError,
) -> Selector:
    """Read a label selector as the API server would, or say what is wrong.

    ``None`` and ``{}`` both give the empty selector; whether an absent
    selector means "everything" is up to the caller.

    Raises:
        ReachabilityError: of ``error_class``, naming the field path.
    """
    if raw is None:
        return EVERYTHING
    if not isinstance(raw, dict):
        raise source.error(field, f"{raw!r} is not a label selector", error_class)
    for key in raw:
        if key not in _SELECTOR_FIELDS:
            raise source.error(
                (*field, key),
                f"unknown field {key!r}; {did_you_mean(key, _SELECTOR_FIELDS)}",
                error_class,
            )

    match_labels = raw.get("matchLabels")
    labels: dict[str, str] = {}
    if match_labels is not None:
        if not isinstance(match_labels, dict):
            raise source.error(
                (*field, "matchLabels"),
                f"{match_labels!r} is not a mapping of labels",
                error_class,
            )
        for key, value in match_labels.items():
            where = (*field, "matchLabels", key)
            check_label_key(key, source, where, error_class)
            check_label_value(value, source, where, error_class)
            labels[key] = value

    expressions = raw.get("matchExpressions")
    requirements: list[Requirement] = []
    if expressions is not None:
        if not isinstance(expressions, list):
            raise source.error(
                (*field, "matchExpressions"),
                f"{expressions!r} is not a list of expressions",
                error_class,
            )
        for index, expression in enumerate(expressions):
            where = (*field, "matchExpressions", index)
            requirements.append(
                _parse_requirement(expression, source, where, error_class)
            )
    return Selector.of(labels, *requirements)


def _parse_requirement(
    raw: Any,
    source: ObjectSource,
    field: tuple[str | int, ...],
    error_class: type[ReachabilityError],
) -> Requirement:
    if not isinstance(raw, dict):
        raise source.error(
            field, f"{raw!r} is not an expression (key, operator, values)", error_class
        )
    for key in raw:
        if key not in _EXPRESSION_FIELDS:
            raise source.error(
                (*field, key),
                f"unknown field {key!r}; {did_you_mean(key, _EXPRESSION_FIELDS)}",
                error_class,
            )
    if "key" not in raw:
        raise source.error(field, "key is required", error_class)
    key = raw["key"]
    check_label_key(key, source, (*field, "key"), error_class)

    operator = raw.get("operator")
    if operator not in OPERATORS:
        hint = (
            did_you_mean(operator, OPERATORS)
            if isinstance(operator, str)
            else f"expected one of {', '.join(OPERATORS)}"
        )
        raise source.error(
            (*field, "operator"), f"unknown operator {operator!r}; {hint}", error_class
        )

    values = raw.get("values")
    if values is None:
        values = []
    if not isinstance(values, list):
        raise source.error(
            (*field, "values"), f"{values!r} is not a list of values", error_class
        )
    if operator in ("In", "NotIn") and not values:
        raise source.error(
            (*field, "values"),
            f"values must be non-empty with operator {operator}",
            error_class,
        )
    if operator in ("Exists", "DoesNotExist") and values:
        raise source.error(
            (*field, "values"),
            f"values must be empty with operator {operator}, found {values!r}",
            error_class,
        )
    for index, value in enumerate(values):
        check_label_value(value, source, (*field, "values", index), error_class)
    return Requirement(key, cast(Operator, operator), frozenset(values))


def check_label_key(
    key: Any,
    source: ObjectSource,
    field: tuple[str | int, ...],
    error_class: type[ReachabilityError] = PolicyError,
) -> None:
    """Refuse a label key the API server would refuse.

    Raises:
        ReachabilityError: of ``error_class``, naming the field path.
    """
    if not isinstance(key, str):
        raise source.error(field, f"label key {key!r} is not text", error_class)
    prefix, _, name = key.rpartition("/")
    valid = (
        0 < len(name) <= 63
        and _LABEL_NAME.fullmatch(name) is not None
        and (
            "/" not in key
            or (0 < len(prefix) <= 253 and _LABEL_PREFIX.fullmatch(prefix) is not None)
        )
    )
    if not valid:
        raise source.error(
            field,
            f"{key!r} is not a valid label key: an optional DNS prefix and '/', then "
            "up to 63 letters, digits, '-', '_' or '.', starting and ending with a "
            "letter or digit",
            error_class,
        )


def check_label_value(
    value: Any,
    source: ObjectSource,
    field: tuple[str | int, ...],
    error_class: type[ReachabilityError] = PolicyError,
) -> None:
    """Refuse a label value the API server would refuse.

    Raises:
        ReachabilityError: of ``error_class``, naming the field path.
    """
    if not isinstance(value, str):
        raise source.error(
            field,
            f"label value {value!r} is not text; quote it in the YAML",
            error_class,
        )
    if value and (len(value) > 63 or _LABEL_NAME.fullmatch(value) is None):
        raise source.error(
            field,
            f"{value!r} is not a valid label value: up to 63 letters, digits, '-', "
            "'_' or '.', starting and ending with a letter or digit",
            error_class,
        )
