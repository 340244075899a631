"""Invalid NetworkPolicies are refused with file, line and field path, never guessed."""

from __future__ import annotations

import pytest

from assessment.errors import AssessmentError
from assessment.reachability.errors import PolicyError
from assessment.reachability.manifests import load_cluster
from tests.assessment.reachability.tables import NETPOL

INVALID = NETPOL / "invalid"


@pytest.mark.parametrize(
    ("name", "line", "field", "says"),
    [
        (
            "end-port-with-named-port",
            8,
            "spec.ingress[0].ports[0].endPort",
            "may not be used with the named port 'http'",
        ),
        (
            "end-port-below-port",
            8,
            "spec.ingress[0].ports[0].endPort",
            "endPort 80 is less than port 8080",
        ),
        (
            "end-port-without-port",
            8,
            "spec.egress[0].ports[0].endPort",
            "needs a numeric port",
        ),
        (
            "unknown-operator",
            7,
            "spec.podSelector.matchExpressions[0].operator",
            "unknown operator 'Equals'; expected one of DoesNotExist, Exists, In, NotIn",
        ),
        (
            "exists-with-values",
            10,
            "spec.ingress[0].from[0].podSelector.matchExpressions[0].values",
            "values must be empty with operator Exists, found ['web']",
        ),
        (
            "in-without-values",
            10,
            "spec.ingress[0].from[0].namespaceSelector.matchExpressions[0].values",
            "values must be non-empty with operator NotIn",
        ),
        (
            "unknown-protocol",
            8,
            "spec.ingress[0].ports[0].protocol",
            "unknown protocol 'ICMP'; expected one of TCP, UDP, SCTP",
        ),
        (
            "lower-case-protocol",
            8,
            "spec.ingress[0].ports[0].protocol",
            "did you mean 'TCP'?",
        ),
        (
            "cidr-not-a-cidr",
            8,
            "spec.ingress[0].from[0].ipBlock.cidr",
            "'10.0.0.300/8' is not a CIDR",
        ),
        (
            "cidr-without-prefix",
            8,
            "spec.egress[0].to[0].ipBlock.cidr",
            "'10.0.0.1' is not a CIDR",
        ),
        (
            "except-outside-cidr",
            10,
            "spec.ingress[0].from[0].ipBlock.except[1]",
            "'192.168.0.0/16' is not strictly inside cidr '10.0.0.0/8'",
        ),
        (
            "except-equal-to-cidr",
            8,
            "spec.ingress[0].from[0].ipBlock.except[0]",
            "'10.0.0.0/8' is not strictly inside cidr '10.0.0.0/8'",
        ),
        (
            "empty-peer",
            8,
            "spec.ingress[0].from[0]",
            "a peer needs podSelector, namespaceSelector or ipBlock",
        ),
        (
            "ip-block-with-selector",
            8,
            "spec.ingress[0].from[0]",
            "ipBlock may not be combined with podSelector",
        ),
        (
            "unknown-field",
            8,
            "spec.ingress[0].from[0].namespaceSelecter",
            "did you mean 'namespaceSelector'?",
        ),
        (
            "unknown-policy-type",
            6,
            "spec.policyTypes[1]",
            "unknown policy type 'Egres'; did you mean 'Egress'?",
        ),
        (
            "label-value-not-text",
            6,
            "spec.podSelector.matchLabels.version",
            "label value 2 is not text",
        ),
        (
            "port-name-digits",
            8,
            "spec.ingress[0].ports[0].port",
            "'8080' is not a valid port name",
        ),
        (
            "port-out-of-range",
            8,
            "spec.ingress[0].ports[0].port",
            "70000 is not a port number (1-65535)",
        ),
    ],
)
def test_an_invalid_policy_is_named_by_file_line_and_field(
    name: str, line: int, field: str, says: str
) -> None:
    path = INVALID / f"{name}.yaml"

    with pytest.raises(PolicyError) as caught:
        load_cluster([path])

    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}:{line}:")
    assert f": {field}: " in message
    assert says in message
    assert f"(NetworkPolicy x/{name})" in message


def test_an_invalid_policy_inside_a_list_is_located_by_its_item() -> None:
    path = INVALID / "in-a-list.yaml"

    with pytest.raises(PolicyError) as caught:
        load_cluster([path])

    assert str(caught.value) == (
        f"{path}:20:52: items[1].spec.egress[0].to[0].ipBlock.except[0]: "
        "'172.16.0.0/12' is not strictly inside cidr '10.0.0.0/8' "
        "(NetworkPolicy x/broken)"
    )


def test_every_invalid_fixture_is_covered() -> None:
    # One error class for the whole package, under the assessment's base.
    assert issubclass(PolicyError, AssessmentError)
    assert len(list(INVALID.glob("*.yaml"))) == 20
