"""The benchmark generator's choice of a case's survey (``bench/generate.py`` ``choose_survey``)
matches what the application lets a case reach: only a survey not yet submitted may lack its
ballots, because ``submit_survey`` takes a complete survey, the member evaluation included."""

from __future__ import annotations

import random


def grades(generate, target: str, draws: int = 2000) -> set:
    rng = random.Random(7)
    return {
        generate.choose_survey(rng, "six_norms", target, reassessed=False)[0] for _ in range(draws)
    }


def test_only_a_survey_not_yet_submitted_may_lack_its_ballots(generate):
    assert None in grades(generate, "survey")
    for target in generate.ORDER[1:]:
        assert None not in grades(generate, target), target


def test_a_model_union_is_never_found_unsatisfied(generate):
    for target in ("selection", "subsidy"):
        assert "unsatisfied" not in grades(generate, target)
