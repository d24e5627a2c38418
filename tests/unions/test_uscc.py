"""The unified social credit code (GB 32100-2015) of a union's employer: the check character,
the message that tells an officer what to fix, and the API that uses it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from tests.conftest import make_union
from unions import uscc
from unions.models import Union, validate_uscc

# Marked as a database module so pytest-django runs it with the other database tests
# (some personas are only requested inside the test, through getfixturevalue).
pytestmark = pytest.mark.django_db

# Published codes of well-known employers: independent evidence that the arithmetic is the standard's.
REAL_CODES = [
    "914403001922038216",  # 华为技术有限公司
    "9144030071526726XG",  # 深圳市腾讯计算机系统有限公司
    "91330100716105852F",  # 阿里巴巴（中国）有限公司
    "91110108551385082Q",  # 北京小米科技有限责任公司
    "91350100M000100Y43",  # the standard's own worked example
]


@pytest.mark.parametrize("code", REAL_CODES)
def test_it_accepts_real_codes(code):
    assert uscc.is_valid(code)
    assert uscc.problem(code) is None
    assert uscc.check_character(code[:17]) == code[17]


@pytest.mark.parametrize("code", REAL_CODES)
def test_it_catches_every_single_mistyped_character(code):
    """A weighted mod-31 check catches any one wrong character, wherever it is."""
    for position in range(18):
        for replacement in uscc.ALPHABET:
            if replacement == code[position]:
                continue
            typo = code[:position] + replacement + code[position + 1 :]
            if position in range(2, 8) and not replacement.isdigit():
                assert uscc.problem(typo) == uscc.DIVISION
            else:
                assert uscc.problem(typo) == uscc.CHECK, typo


def test_it_catches_two_neighbouring_characters_swapped():
    code = REAL_CODES[0]
    for position in range(16):
        if code[position] == code[position + 1]:
            continue
        swapped = code[:position] + code[position + 1] + code[position] + code[position + 2 :]
        assert not uscc.is_valid(swapped), swapped


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("91440300192203821", uscc.LENGTH),
        ("9144030019220382166", uscc.LENGTH),
        ("", uscc.LENGTH),
        ("91440300192203821I", uscc.CHARACTERS),  # I, O, S, V, Z are not in the alphabet
        ("9144030019220382O6", uscc.CHARACTERS),
        ("914403001922038-16", uscc.CHARACTERS),
        ("9144A3001922038216", uscc.DIVISION),
        ("914403001922038217", uscc.CHECK),
    ],
)
def test_it_says_which_check_a_bad_code_fails(code, problem):
    assert uscc.problem(code) == problem
    assert not uscc.is_valid(code)


def test_it_reads_codes_as_officers_type_them():
    assert uscc.is_valid("  9144030071526726xg ")
    assert uscc.normalize("  9144030071526726xg ") == "9144030071526726XG"


def test_it_completes_a_prefix_with_its_check_character():
    assert uscc.make("91330100716105852") == "91330100716105852F"
    assert uscc.is_valid(uscc.make("913604030000000" + "01"))


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("91440300192203821", "has 18 characters"),
        ("91440300192203821I", "other than I, O, S, V and Z"),
        ("9144A3001922038216", "administrative division"),
        ("914403001922038217", "should be 6"),
    ],
)
def test_it_tells_the_officer_what_to_fix(code, words):
    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        validate_uscc(code)
    assert excinfo.value.code == "invalid_uscc"
    with translation.override("en"):
        assert words in excinfo.value.messages[0]


def test_it_stores_the_code_in_capitals(xunyang_officer):
    union = make_union(xunyang_officer, credit_code="9144030071526726xg")
    union.refresh_from_db()
    assert union.credit_code == "9144030071526726XG"


def test_it_refuses_a_bad_code_and_a_second_union_with_the_same_code_through_the_api(
    api, xunyang_officer
):
    body = {
        "name": "九江华远电子有限公司工会",
        "federation": "360403",
        "union_type": "enterprise",
        "ownership": "private",
        "founded_on": "2016-04-01",
    }
    client = api.as_user(xunyang_officer)

    bad = client.post(
        "/api/v1/unions/",
        {**body, "credit_code": "914403001922038217"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert bad.status_code == 400
    assert list(bad.data["errors"]) == ["credit_code"]
    assert "should be 6" in bad.data["errors"]["credit_code"][0]
    assert not Union.objects.exists()

    assert (
        client.post(
            "/api/v1/unions/", {**body, "credit_code": REAL_CODES[0]}, format="json"
        ).status_code
        == 201
    )
    again = client.post(
        "/api/v1/unions/",
        {**body, "name": "另一个工会", "credit_code": REAL_CODES[0].lower()},
        format="json",
    )
    assert again.status_code == 400
    assert list(again.data["errors"]) == ["credit_code"]
    assert Union.objects.count() == 1


def test_it_allows_many_unions_without_a_code(xunyang_officer):
    make_union(xunyang_officer, name="甲", union_type="institution")
    make_union(xunyang_officer, name="乙", union_type="institution")
    assert Union.objects.filter(credit_code="").count() == 2
