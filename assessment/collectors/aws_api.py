"""Talking to AWS: clients per region, paginated reads, and failures as gaps.

A collector must never crash because one call was denied or throttled. A
check runs its calls through :func:`attempt`; an AWS error there becomes a
warning in the evidence file naming the check, the call and the reason.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from assessment.collectors.observations import Findings

logger = logging.getLogger(__name__)

T = TypeVar("T")

DENIED = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnauthorizedAccess",
        "AuthorizationError",
        "AuthorizationErrorException",
        "Forbidden",
        "OptInRequired",
    }
)
"""Error codes AWS uses for 'you may not do this'."""
THROTTLED = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "SlowDown",
    }
)
"""Error codes AWS uses for 'too many calls'; botocore has already retried."""
RETRIES = Config(retries={"mode": "standard", "max_attempts": 5})


class AwsApi:
    """Clients for one session, created once per service and region."""

    def __init__(self, session: Any, endpoint_url: str | None = None) -> None:
        self.session = session
        self.endpoint_url = endpoint_url
        self._clients: dict[tuple[str, str], Any] = {}

    def client(self, service: str, region: str) -> Any:
        """The boto3 client for ``service`` in ``region``."""
        key = (service, region)
        if key not in self._clients:
            self._clients[key] = self.session.client(
                service,
                region_name=region,
                endpoint_url=self.endpoint_url,
                config=RETRIES,
            )
        return self._clients[key]


def items(client: Any, operation: str, key: str, **params: Any) -> Iterator[Any]:
    """Every element of ``key`` over all pages of ``operation``."""
    paginator = client.get_paginator(operation)
    for page in paginator.paginate(**params):
        yield from page.get(key, [])


def call_or_none(
    call: Callable[..., dict[str, Any]], absent: Sequence[str], **params: Any
) -> dict[str, Any] | None:
    """``call(**params)``, or None when AWS answers with one of the ``absent``
    codes, which mean "not configured" (no policy, no tags, no encryption)."""
    try:
        return call(**params)
    except ClientError as exc:
        if error_code(exc) in absent:
            return None
        raise


def error_code(exc: ClientError) -> str:
    """The AWS error code of ``exc``, e.g. ``AccessDenied``."""
    error: dict[str, Any] = exc.response.get("Error", {})
    return str(error.get("Code", "Unknown"))


def describe_failure(exc: Exception) -> str:
    """Why a call failed, as a short phrase for a warning."""
    if isinstance(exc, ClientError):
        code = error_code(exc)
        operation = exc.operation_name
        if code in DENIED:
            return f"access denied ({code}) calling {operation}"
        if code in THROTTLED:
            return f"throttled ({code}) calling {operation}, still after retries"
        message = exc.response.get("Error", {}).get("Message", "")
        return f"{operation} failed: {code} {message}".strip()
    return f"{type(exc).__name__}: {exc}"


def attempt(
    findings: Findings, checks: Sequence[str], what: str, call: Callable[[], T]
) -> T | None:
    """Run ``call``; on an AWS failure record a gap for each of ``checks``.

    Args:
        findings: where the gaps go.
        checks: the checks that cannot be judged without this call.
        what: what the call was for, e.g. ``listing IAM users``.
        call: the reads to make.

    Returns:
        What ``call`` returned, or None when AWS refused or failed.
    """
    try:
        return call()
    except (ClientError, BotoCoreError) as exc:
        reason = f"{what}: {describe_failure(exc)}"
        logger.info("not checked: %s: %s", ", ".join(checks), reason)
        for check in checks:
            findings.gap(check, reason)
        return None
