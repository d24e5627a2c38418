"""Inputs schemathesis found that once made a server error (regressions, on both databases)."""

from __future__ import annotations


def test_it_answers_a_nul_character_in_a_federation_code_with_400(api, xunyang_officer):
    """PostgreSQL refuses a NUL in a query; the API must say which field is wrong instead."""
    answer = api.as_user(xunyang_officer).post(
        "/api/v1/unions/",
        {
            "federation": "\x00",
            "founded_on": "2016-01-01",
            "name": "工会",
            "union_type": "enterprise",
        },
        format="json",
    )
    assert answer.status_code == 400
    assert "federation" in answer.json()["errors"]
