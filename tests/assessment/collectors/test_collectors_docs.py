"""docs/collectors.md shows the collectors' rule tables as they are."""

from __future__ import annotations

import re

from assessment.collectors.aws import AWS_RULES
from assessment.collectors.kubernetes import KUBERNETES_RULES
from tests.conftest import ROOT

ROW = re.compile(
    r"^\| `(?P<check>[a-z0-9-]+)` \|.*"
    r"\| `(?P<function>[a-z_/-]+)` \| (?P<passed>\w+) \| (?P<failed>\w+) \|$"
)


def test_the_mapping_tables_match_the_rules() -> None:
    text = (ROOT / "docs" / "collectors.md").read_text(encoding="utf-8")
    documented = {
        match["check"]: (match["function"], match["passed"], match["failed"])
        for match in map(ROW.match, text.splitlines())
        if match
    }

    rules = {**AWS_RULES, **KUBERNETES_RULES}
    assert documented == {
        check: (rule.function, rule.passed.id, rule.failed.id)
        for check, rule in rules.items()
    }
