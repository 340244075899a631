"""Truth tables written out in tests, checked against both evaluators."""

from __future__ import annotations

from pathlib import Path

from assessment.reachability.manifests import load_cluster
from assessment.reachability.matrix import evaluate_matrix
from assessment.reachability.objects import Cluster
from assessment.reachability.policy import reference_matrix
from tests.conftest import DATA

NETPOL = DATA / "netpol"
BASE = NETPOL / "base"


def parse_table(text: str) -> dict[tuple[str, str], bool]:
    """Read a table: a header of destinations, then a source and 0/1 per row."""
    rows = [line.split() for line in text.strip().splitlines()]
    destinations = rows[0]
    table: dict[tuple[str, str], bool] = {}
    for source, *cells in rows[1:]:
        assert len(cells) == len(destinations), f"row {source} has {len(cells)} cells"
        for destination, cell in zip(destinations, cells, strict=True):
            assert cell in ("0", "1"), f"bad cell {cell!r}"
            table[source, destination] = cell == "1"
    return table


def computed_tables(
    cluster: Cluster, port: int, protocol: str = "TCP"
) -> tuple[dict[tuple[str, str], bool], dict[tuple[str, str], bool]]:
    """The fast and the pair-by-pair tables, keyed by (source, destination)."""
    keys = [endpoint.key for endpoint in cluster.endpoints]
    fast = evaluate_matrix(cluster, port, protocol).table()
    reference = reference_matrix(cluster, port, protocol)
    return (
        {
            (source, destination): fast[i][j]
            for i, source in enumerate(keys)
            for j, destination in enumerate(keys)
        },
        {
            (source, destination): reference[i][j]
            for i, source in enumerate(keys)
            for j, destination in enumerate(keys)
        },
    )


def assert_table(
    paths: list[Path], port: int, expected: str, protocol: str = "TCP"
) -> None:
    """Both evaluators give exactly ``expected`` for the manifests at ``paths``."""
    cluster = load_cluster(paths)
    want = parse_table(expected)
    fast, reference = computed_tables(cluster, port, protocol)
    assert set(fast) == set(want), "the table does not list every pair"
    wrong = sorted(pair for pair in want if reference[pair] != want[pair])
    assert not wrong, f"pair-by-pair evaluator disagrees on {wrong}"
    wrong = sorted(pair for pair in want if fast[pair] != want[pair])
    assert not wrong, f"fast evaluator disagrees on {wrong}"
