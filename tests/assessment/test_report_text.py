"""The assessment as JSON, the way ``ztkit assess --format json`` prints it."""

from __future__ import annotations

import json

from assessment.answers import load_answers
from assessment.assess import run_assessment
from assessment.maturity_model import load_model
from assessment.report_text import render_json
from tests.assessment.builders import small
from tests.conftest import SAMPLE


def test_json_is_laid_out_as_the_standard_library_would() -> None:
    model = load_model()
    result = run_assessment(
        small(), model, load_answers(SAMPLE / "answers.yaml", model)
    ).as_json()
    result["organisation"]["name"] = 'Fernhollow "Ops" \\ Team'

    assert render_json(result) == json.dumps(result, indent=2) + "\n"
    assert json.loads(render_json(result)) == result
