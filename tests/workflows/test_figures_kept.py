"""The pages' figures (``current_figures_by_federation``): kept while no event is written, so
the next request after a transition computes them afresh, and never older than ``KEEP_FOR``."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from workflows.figures import KEEP_FOR, current_figures_by_federation
from workflows.models import Stage

pytestmark = pytest.mark.django_db


def test_it_keeps_the_figures_until_an_event_is_written(
    walk_case, xunyang_officer, django_assert_num_queries
):
    case = walk_case(Stage.SURVEY_REVIEW)
    figures, computed = current_figures_by_federation(case.campaign)
    county = case.union.federation_id
    assert figures[county]["stages"][Stage.SURVEY_REVIEW] == 1

    with django_assert_num_queries(1):  # the newest event's id, and the figures from the cache
        again, at = current_figures_by_federation(case.campaign, [county])
    assert (list(again), at) == ([county], computed)

    from workflows.services import do_transition

    do_transition(case.pk, "accept_survey", actor=xunyang_officer)
    figures, at = current_figures_by_federation(case.campaign)
    assert at > computed
    assert figures[county]["stages"][Stage.SURVEY_REVIEW] == 0
    assert figures[county]["stages"][Stage.ASSESSMENT] == 1


def test_it_computes_them_again_after_keep_for_seconds(case, monkeypatch):
    _figures, computed = current_figures_by_federation(case.campaign)
    later = computed + timedelta(seconds=KEEP_FOR + 1)
    monkeypatch.setattr(timezone, "now", lambda: later)

    _figures, at = current_figures_by_federation(case.campaign)

    assert at == later
