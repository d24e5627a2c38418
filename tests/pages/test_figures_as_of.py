"""The home and the dashboard say when their figures were computed (they may be a few seconds
old: ``workflows.figures.current_figures_by_federation``)."""

from __future__ import annotations

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db


def test_the_pages_say_when_their_figures_were_computed(login, case, federation_officer):
    client = login(federation_officer)
    for url in ("/", "/dashboard/"):
        response = client.get(url)
        at = timezone.localtime(response.context["figures_as_of"])
        assert f"Figures as of {at:%H:%M:%S}" in response.content.decode()
