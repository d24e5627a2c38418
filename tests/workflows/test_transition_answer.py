"""What a transition request costs outside the service, kept small without changing the
answer (issue 7, bench/bench_http_cpu.py): the token's user read in one plain query, the
case's serializer fields built once per class.

The answer and the refusals stay API.md's: the transition answers the case exactly as a detail
read shows it right after; an unknown token or an inactive user's token is 401 with DRF's
message, and changes nothing.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from lib.api import TokenAuthentication
from workflows.api import CaseSerializer
from workflows.models import Case, Event, Stage

pytestmark = pytest.mark.django_db


def test_it_answers_a_transition_with_the_case_as_a_detail_read_shows_it(
    api, walk_case, xunyang_officer
):
    case = walk_case(Stage.SURVEY_REVIEW)
    client = api.as_user(xunyang_officer)

    answer = client.post(
        f"/api/v1/cases/{case.pk}/transitions/return_survey/", {"comment": "请补充"}, format="json"
    )
    detail = client.get(f"/api/v1/cases/{case.pk}/")

    assert answer.status_code == 200, answer.content
    assert answer.json() == detail.json()
    assert answer.json()["stage"] == Stage.SURVEY
    # Back in survey, the reporter's and officer's next step is listed with its condition.
    assert [t["name"] for t in answer.json()["available_transitions"]] == ["submit_survey"]


def test_it_reads_the_tokens_user_in_one_statement(xunyang_officer):
    key = Token.objects.create(user=xunyang_officer).key

    with CaptureQueriesContext(connection) as captured:
        user, token = TokenAuthentication().authenticate_credentials(key)

    assert len(captured.captured_queries) == 1
    assert user == xunyang_officer
    assert user.role == xunyang_officer.role
    assert user.federation_id == xunyang_officer.federation_id
    assert token.key == key
    assert token.user is user


def test_it_refuses_an_unknown_token_with_401_and_changes_nothing(api, case):
    api.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    events = Event.objects.count()

    answer = api.post(f"/api/v1/cases/{case.pk}/transitions/submit_survey/", {}, format="json")

    assert answer.status_code == 401
    assert answer.json()["detail"]  # DRF's own message, translated
    assert Event.objects.count() == events
    assert Case.objects.get(pk=case.pk).stage == Stage.SURVEY


def test_it_refuses_an_inactive_users_token_with_401(api, case, xunyang_officer):
    client = api.as_user(xunyang_officer)
    xunyang_officer.is_active = False
    xunyang_officer.save(update_fields=["is_active"])

    answer = client.get(f"/api/v1/cases/{case.pk}/")

    assert answer.status_code == 401
    assert answer.json()["detail"]


def test_it_gives_each_serializer_its_own_fields(case, xunyang_officer):
    first = CaseSerializer(case).fields
    second = CaseSerializer(case).fields

    assert list(first) == list(second)
    assert all(first[name] is not second[name] for name in first)
    assert first["stage"].parent is not second["stage"].parent


def test_it_never_binds_the_fields_it_built_once(case):
    answer = CaseSerializer(case, context={"with_transitions": False}).data
    assert answer["stage"] == case.stage

    built = CaseSerializer.__dict__["_fields_built_once"]
    assert all(getattr(field, "parent", None) is None for field in built.values())
    assert built["stage"].field_name is None


def test_it_gives_a_field_that_holds_fields_its_own_copy_of_them():
    """A list's child and a nested serializer are bound to their holder: two serializers
    sharing them would each rebind the other's."""
    from rest_framework import serializers

    from lib.api import FieldsBuiltOnceMixin

    class Nested(serializers.Serializer):
        name = serializers.CharField()

    class Holder(FieldsBuiltOnceMixin, serializers.ModelSerializer):
        tags = serializers.ListField(child=serializers.CharField(), required=False)
        nested = Nested(required=False)

        class Meta:
            model = Case
            fields = ["id", "tags", "nested"]

    first, second = Holder().fields, Holder().fields

    assert first["tags"].child is not second["tags"].child
    assert first["tags"].child.parent is first["tags"]
    assert second["tags"].child.parent is second["tags"]
    assert first["nested"].fields["name"] is not second["nested"].fields["name"]
    assert first["nested"].root is not second["nested"].root
