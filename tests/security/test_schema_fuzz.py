"""Schemathesis against the OpenAPI schema the API serves: every operation, with inputs generated
from the schema (and beyond it), sent with a valid token of a federation officer or of a county officer: no answer may
be a server error. Requests go through the project's WSGI handler in this process, so the test
runs on whichever database the suite runs on (SQLite and PostgreSQL in CI), inside the test's
transaction.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token

from inspections.services import do_save_survey
from lib.demo_survey import full_survey
from workflows.services import do_create_case

EXAMPLES_PER_OPERATION = 12  # ~40 operations: about a minute on this machine

schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
APP = WSGIHandler()
REAL_IDS: dict[str, int] = {}
_calls = [0]


def _aim_at_real_objects(case) -> None:
    """Every other request names an object that exists, so the code behind the 404 is fuzzed too."""
    _calls[0] += 1
    names = [name for name in ("id", "pk") if name in (case.path_parameters or {})]
    resource = case.path.strip("/").split("/")[2]
    if _calls[0] % 2 == 0 and names and resource in REAL_IDS:
        case.path_parameters[names[0]] = REAL_IDS[resource]


@pytest.fixture
def officer_token(db, campaign, xunyang_union, xunyang_officer, federation_officer):
    """The tokens of a federation officer and a county officer, and a case with a survey whose ids half the requests use."""
    case = do_create_case(actor=xunyang_officer, campaign=campaign, union_id=xunyang_union.pk)
    do_save_survey(case, full_survey(), actor=xunyang_officer)
    REAL_IDS.update({"cases": case.pk, "unions": xunyang_union.pk, "campaigns": campaign.pk})
    # The WSGI handler closes "old" connections around each request; in a test's transaction that
    # would close the connection the test stands in (Django's test client unhooks it the same way).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield [
            Token.objects.create(user=federation_officer).key,
            Token.objects.create(user=xunyang_officer).key,
        ]
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_it_never_answers_a_generated_request_with_a_server_error(case, officer_token):
    _aim_at_real_objects(case)
    token = officer_token[_calls[0] // 2 % 2]  # a federation officer, then a county officer
    response = case.call(app=APP, headers={"Authorization": f"Token {token}"})
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} → {response.status_code}\n"
        f"query={case.query!r} body={getattr(case, 'body', None)!r}\n{response.text[:2000]}"
    )
