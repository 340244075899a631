"""The fast evaluator against the pair-by-pair reference, on random clusters."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessment.reachability.diff import diff_clusters
from assessment.reachability.matrix import MatrixEvaluator, bit_indices, bits_of
from assessment.reachability.objects import Cluster
from assessment.reachability.policy import PROTOCOLS, reference_matrix
from assessment.reachability.ports import port_classes
from tests.assessment.reachability.strategies import EXAMINED_PORTS, clusters


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(clusters())
def test_the_fast_matrix_equals_the_pair_by_pair_evaluator(cluster: Cluster) -> None:
    evaluator = MatrixEvaluator(cluster)
    for protocol in PROTOCOLS:
        for port in EXAMINED_PORTS:
            assert evaluator.evaluate(port, protocol).table() == reference_matrix(
                cluster, port, protocol
            ), f"{port}/{protocol}"

    # Every port of a class gets the answer of the class's representative.
    for port_class in port_classes([cluster]):
        expected = evaluator.evaluate(port_class.representative, port_class.protocol)
        if port_class.other:
            continue
        for port in {port_class.first, (port_class.first + port_class.last) // 2}:
            assert reference_matrix(cluster, port, port_class.protocol) == (
                expected.table()
            ), f"{port}/{port_class.protocol} in {port_class.label}"
        if port_class.last != port_class.first:
            assert (
                reference_matrix(cluster, port_class.last, port_class.protocol)
                == expected.table()
            )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(clusters(max_policies=3), clusters(max_policies=3))
def test_the_diff_lists_exactly_the_pairs_whose_answer_changed(
    old: Cluster, new: Cluster
) -> None:
    diff = diff_clusters(old, new)

    old_index, new_index = old.endpoint_index(), new.endpoint_index()
    common = sorted(set(old_index) & set(new_index))
    opened, closed = set(), set()
    for port_class in diff.classes:
        port, protocol = port_class.representative, port_class.protocol
        before = reference_matrix(old, port, protocol)
        after = reference_matrix(new, port, protocol)
        for source in common:
            for destination in common:
                was = before[old_index[source]][old_index[destination]]
                now = after[new_index[source]][new_index[destination]]
                if now and not was:
                    opened.add((source, destination, port_class.label))
                if was and not now:
                    closed.add((source, destination, port_class.label))

    assert {(c.source, c.destination, c.ports.label) for c in diff.opened} == opened
    assert {(c.source, c.destination, c.ports.label) for c in diff.closed} == closed


@given(st.integers(min_value=0, max_value=2**700))
def test_bit_indices_sparse_and_dense(bits: int) -> None:
    expected = [index for index in range(bits.bit_length()) if bits >> index & 1]

    assert bit_indices(bits) == expected
    assert bits_of(expected, bits.bit_length()) == bits
