"""The bundled maturity model against the structure of CISA's ZTMM v2."""

from __future__ import annotations

import json

from assessment.maturity_model import Stage, load_model
from tests.conftest import DATA

STRUCTURE = json.loads((DATA / "ztmm-v2-structure.json").read_text())


def test_every_pillar_and_function_is_present_in_cisa_order() -> None:
    model = load_model()

    assert [p.id for p in model.pillars] == [p["id"] for p in STRUCTURE["pillars"]]
    for pillar, expected in zip(model.pillars, STRUCTURE["pillars"], strict=True):
        assert pillar.name == expected["name"]
        assert [(f.id, f.name, f.number, f.kind) for f in pillar.functions] == [
            (f["id"], f["name"], f["number"], f["kind"]) for f in expected["functions"]
        ]


def test_cross_cutting_capabilities_and_stages() -> None:
    model = load_model()

    assert [(c.id, c.name) for c in model.cross_cutting] == [
        (c["id"], c["name"]) for c in STRUCTURE["cross_cutting"]
    ]
    assert [s.id for s in model.stages] == STRUCTURE["stages"] == [s.id for s in Stage]


def test_every_row_describes_all_four_stages_in_one_sentence() -> None:
    model = load_model()
    rows = [f.stages for p in model.pillars for f in p.functions]
    rows += [c.stages for c in model.cross_cutting]

    for descriptions in rows:
        for stage in Stage:
            text = descriptions.of(stage)
            assert 8 <= len(text.split()) <= 40, text
            assert text.endswith("."), text


def test_keys_and_names() -> None:
    model = load_model()
    keys = model.function_keys()

    assert len(keys) == len(set(keys)) == 40
    assert keys[0] == "identity/authentication"
    assert keys[-1] == "cross_cutting/governance"
    assert model.name_of("devices/resource-access") == "Devices: Resource Access"
    assert model.name_of("cross_cutting/governance") == "Cross-cutting: Governance"


def test_stage_from_score_counts_only_stages_fully_reached() -> None:
    assert Stage.from_score(1.0) is Stage.TRADITIONAL
    assert Stage.from_score(2.99) is Stage.INITIAL
    assert Stage.from_score(3.0) is Stage.ADVANCED
    assert Stage.from_score(4.0) is Stage.OPTIMAL
    assert Stage.from_id("advanced").label == "Advanced"
