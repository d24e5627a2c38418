"""``manage.py add_user`` exactly as API.md writes it:

    python manage.py add_user USERNAME --role ROLE [--federation CODE] [--union ID] --password PW

with ``--federation`` repeated for a leader's linked counties (联系挂点)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.utils import translation

from unions.models import Federation, Role, User

# Marked as a database module so pytest-django runs it with the other database tests
# (some personas are only requested inside the test, through getfixturevalue).
pytestmark = pytest.mark.django_db

PW = "一二三四五六七八-pass"


def add_user(*args: str) -> str:
    """Run the command, in English so its messages can be compared."""
    out = StringIO()
    with translation.override("en"):
        call_command("add_user", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_it_creates_a_county_officer_of_one_county():
    output = add_user(
        "lianxi", "--role", "county_officer", "--federation", "360402", "--password", PW
    )
    user = User.objects.get(username="lianxi")
    assert user.role == Role.COUNTY_OFFICER
    assert user.federation.code == "360402"
    assert not user.linked_federations.exists()
    assert "lianxi" in output
    assert authenticate(username="lianxi", password=PW) == user


@pytest.mark.django_db
def test_it_links_a_leader_to_every_county_given_with_a_repeated_federation():
    add_user(
        "zhou",
        "--role",
        "leader",
        "--federation",
        "360403",
        "--federation",
        "360402",
        "--federation",
        "360483",
        "--password",
        PW,
    )
    user = User.objects.get(username="zhou")
    assert user.role == Role.LEADER
    assert user.federation is None  # a leader reads all; the links say whom they follow
    assert sorted(user.linked_federations.values_list("code", flat=True)) == [
        "360402",
        "360403",
        "360483",
    ]


@pytest.mark.django_db
def test_it_creates_a_leader_with_no_linked_county():
    add_user("wu", "--role", "leader", "--password", PW)
    assert not User.objects.get(username="wu").linked_federations.exists()


@pytest.mark.django_db
def test_it_creates_a_union_reporter_of_its_union(xunyang_union):
    add_user("lina", "--role", "union_reporter", "--union", str(xunyang_union.pk), "--password", PW)
    user = User.objects.get(username="lina")
    assert (user.role, user.union, user.federation) == (Role.UNION_REPORTER, xunyang_union, None)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["federation_officer", "auditor"])
def test_it_creates_city_wide_roles_with_admin_access(role):
    add_user("city", "--role", role, "--password", PW)
    user = User.objects.get(username="city")
    assert user.role == role
    assert user.is_staff  # they read the admin (auditors read-only)
    assert not user.is_superuser
    assert user.federation is None and user.union is None


@pytest.mark.django_db
def test_it_takes_a_display_name():
    add_user(
        "liumin", "--role", "federation_officer", "--password", PW, "--name", "市总组宣部 刘敏"
    )
    assert User.objects.get(username="liumin").name == "市总组宣部 刘敏"


@pytest.mark.django_db
def test_it_audits_the_new_user_without_keeping_the_password():
    add_user("audited", "--role", "auditor", "--password", PW)
    row = User.objects.get(username="audited").history.get()
    assert row.history_type == "+"
    assert row.history_change_reason == "User created"
    assert not hasattr(row, "password")


@pytest.mark.django_db
def test_the_new_user_can_get_an_api_token(api):
    add_user("tokenuser", "--role", "auditor", "--password", PW)
    response = api.post(
        "/api/v1/auth/token/", {"username": "tokenuser", "password": PW}, format="json"
    )
    assert response.status_code == 200
    assert response.data["token"]
    wrong = api.post(
        "/api/v1/auth/token/", {"username": "tokenuser", "password": "nope"}, format="json"
    )
    assert wrong.status_code == 400


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--role", "county_officer"], "federation"),
        (
            ["--role", "county_officer", "--federation", "360402", "--federation", "360403"],
            "exactly one",
        ),
        (["--role", "county_officer", "--federation", "999999"], "999999"),
        (["--role", "leader", "--federation", "360403", "--federation", "123456"], "123456"),
        (["--role", "union_reporter"], "union"),
        (["--role", "union_reporter", "--union", "424242"], "424242"),
        (["--role", "chairman"], "invalid choice"),
        (["--role", "auditor", "--password", "short"], "password"),
    ],
    ids=[
        "county-without-federation",
        "county-with-two",
        "unknown-federation",
        "leader-unknown-county",
        "reporter-without-union",
        "unknown-union",
        "unknown-role",
        "weak-password",
    ],
)
def test_it_refuses_what_the_role_cannot_be_and_creates_nobody(args, words):
    if "--password" not in args:
        args = [*args, "--password", PW]
    with pytest.raises(CommandError) as excinfo:
        add_user("someone", *args)
    assert words in str(excinfo.value)
    assert not User.objects.filter(username="someone").exists()


@pytest.mark.django_db
def test_it_refuses_a_username_that_is_taken(federation_officer):
    with pytest.raises(CommandError, match="already exists"):
        add_user("fed", "--role", "auditor", "--password", PW)
    assert User.objects.get(username="fed").role == Role.FEDERATION_OFFICER


@pytest.mark.django_db
def test_it_requires_a_password():
    with pytest.raises(CommandError, match="password"):
        add_user("nopw", "--role", "auditor")


@pytest.mark.django_db
def test_every_county_code_of_api_md_is_loaded():
    codes = set(Federation.objects.values_list("code", flat=True))
    assert {
        "360400",
        "360402",
        "360403",
        "360404",
        "360423",
        "360424",
        "360425",
        "360426",
        "360428",
        "360429",
        "360430",
        "360481",
        "360482",
        "360483",
    } == codes
