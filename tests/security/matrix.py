"""Who may use each URL: the expectation table of the access matrix (test_access_matrix.py).

Every URL pattern of the project must be classified here; the matrix test fails on one that is
not, so whoever adds an endpoint states who may use it. To classify one, add an entry to
``EXPECT`` keyed by its route as ``route_key`` prints it (``int:`` and regex groups become
``<name>``; format-suffix variants share their base route's entry):

    "api/v1/things/<pk>/": Api(obj="case", get=READ, post=only(county=ACTS)),

Personas (tests/conftest.py): ``reporter`` (of the world's union in 浔阳区), ``county`` (浔阳区),
``other_county`` (武宁县: everything of 浔阳区 is outside its scope), ``federation``, ``leader``
(linked to 浔阳区), ``other_leader`` (linked to 武宁县: reads everything as ``leader`` does, and is
expected as ``leader`` unless named, but signs off only 武宁县's subsidies), ``auditor``. Anonymous is derived from the kind: an API answers 401, a page
redirects to the login page, a public URL works.

Outcomes: ``OK`` a 2xx answer (pages: 2xx, or a redirect that is not to the login page);
``ACTS`` the request got past access control (2xx, or 400/409 about the data: the role may do
this, the state or the input decides); ``FORBIDDEN`` 403; ``HIDDEN`` 404; ``REFUSED`` a page form
refused for the role (403, or back to the page with “Your role may not do this.” and nothing
changed); ``BAD`` 400 (e.g. a union of another county named in a body reads as nonexistent).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

OK, ACTS, FORBIDDEN, HIDDEN, REFUSED, BAD = "ok", "acts", 403, 404, "refused", 400
TO_LOGIN = "to_login"  # logging out: back to the login page
ROLES = ("reporter", "county", "other_county", "federation", "leader", "other_leader", "auditor")


def who(default: Any, **roles: Any) -> dict[str, Any]:
    unknown = set(roles) - set(ROLES)
    assert not unknown, f"unknown personas {unknown}"
    roles.setdefault("other_leader", roles.get("leader", default))
    return {role: roles.get(role, default) for role in ROLES}


def only(default: Any = FORBIDDEN, **roles: Any) -> dict[str, Any]:
    """The named roles as given; ``other_county`` hidden (404) unless named; others forbidden."""
    roles.setdefault("other_county", HIDDEN)
    return who(default, **roles)


EVERYONE = who(OK)
READ = who(OK, other_county=HIDDEN)  # an object of 浔阳区, read in scope
READ_NOT_REPORTER = who(OK, other_county=HIDDEN, reporter=HIDDEN)  # not the reporter's union
CITY_READERS = who(FORBIDDEN, federation=OK, leader=OK, auditor=OK)  # the audit pages
NOT_REPORTER = who(OK, reporter=FORBIDDEN)


@dataclass(frozen=True)
class Access:
    """How one route answers, per HTTP method. ``obj`` names the world's object that fills the
    route's ``pk``; ``kwargs`` fills the others; ``body`` builds a request body from the world."""

    kind: str
    obj: str | None = None
    kwargs: dict[str, str] = field(default_factory=dict)
    body: dict[str, Callable[[Any], dict]] = field(default_factory=dict)
    query: str = ""
    methods: dict[str, dict[str, Any]] = field(default_factory=dict)
    multipart: bool = False


def Api(obj=None, kwargs=None, body=None, query="", multipart=False, **methods) -> Access:  # noqa: N802
    return Access("api", obj, kwargs or {}, body or {}, query, methods, multipart)


def Page(obj=None, kwargs=None, body=None, query="", **methods) -> Access:  # noqa: N802
    return Access("page", obj, kwargs or {}, body or {}, query, methods)


def Public(obj=None, kwargs=None, body=None, query="", **methods) -> Access:  # noqa: N802
    return Access("public", obj, kwargs or {}, body or {}, query, methods)


# --- The case's and the subsidy's transitions (API.md, "The case's stages and transitions") -----

CASE_TRANSITIONS: dict[str, dict[str, Any]] = {
    "submit_survey": only(reporter=ACTS, county=ACTS),
    "return_survey": only(county=ACTS),
    "accept_survey": only(county=ACTS),
    "submit_assessment": only(county=ACTS),
    "return_assessment": only(federation=ACTS),
    "approve_assessment": only(federation=ACTS),
    "reassess": only(county=ACTS),
    "recommend_model": only(county=ACTS),
    "decline_model": only(federation=ACTS),
    "select_model": only(federation=ACTS),
    "close": only(federation=ACTS),
    "no_such_transition": who(HIDDEN),
}
# The reporter cannot see the model union's subsidy at all (not their union): 404.
SUBSIDY_TRANSITIONS: dict[str, dict[str, Any]] = {
    "submit": only(county=ACTS, reporter=HIDDEN),
    # A leader signs off the counties they are linked to: 浔阳区's is not the other leader's (403).
    "sign_off": only(leader=ACTS, other_leader=FORBIDDEN, reporter=HIDDEN),
    "reject": only(leader=ACTS, other_leader=FORBIDDEN, reporter=HIDDEN),
    "disburse": only(federation=ACTS, reporter=HIDDEN),
    "no_such_transition": who(HIDDEN),
}
SUMMARY_TRANSITIONS: dict[str, dict[str, Any]] = {
    "submit": only(county=ACTS, reporter=HIDDEN),
    "accept": only(federation=ACTS, reporter=HIDDEN),
    "return": only(federation=ACTS, reporter=HIDDEN),
    "no_such_transition": who(HIDDEN),
}
# On the pages a refused role is sent back to the case with a message.
PAGE_CASE_TRANSITIONS = {
    name: {role: (REFUSED if want == FORBIDDEN else want) for role, want in roles.items()}
    for name, roles in CASE_TRANSITIONS.items()
}
PAGE_SUMMARY_TRANSITIONS = {
    name: {role: (REFUSED if want == FORBIDDEN else want) for role, want in roles.items()}
    for name, roles in SUMMARY_TRANSITIONS.items()
}
PAGE_SUBSIDY_TRANSITIONS = {
    name: {role: (REFUSED if want == FORBIDDEN else want) for role, want in roles.items()}
    for name, roles in SUBSIDY_TRANSITIONS.items()
}


def _union_body(w) -> dict:
    return {
        "name": "九江矩阵测试有限公司工会",
        "federation": "360403",
        "union_type": "enterprise",
        "ownership": "private",
        "founded_on": "2016-04-01",
    }


def _campaign_body(w) -> dict:
    return {
        "year": 2031,
        "title": "矩阵测试",
        "reference_date": "2031-05-20",
        "survey_deadline": "2031-08-31",
        "summary_deadline": "2031-12-15",
        "subsidy_amounts": {"six_haves": "5000.00", "six_norms": "8000.00"},
        "subsidy_budget": "100000.00",
    }


EXPECT: dict[str, Access] = {
    # --- API (API.md) ----------------------------------------------------------------------
    "api/v1/": Api(get=EVERYONE),
    "api/v1/auth/token/": Public(
        post=EVERYONE, body={"post": lambda w: {"username": w.login_name, "password": w.password}}
    ),
    # The schema and its browser need a login or a token, like the API they describe.
    "api/v1/schema/": Api(get=EVERYONE),
    "api/v1/docs/": Api(get=EVERYONE),
    "api/v1/federations/": Api(get=EVERYONE),
    "api/v1/federations/<code>/": Api(kwargs={"code": "360403"}, get=EVERYONE),
    "api/v1/unions/": Api(
        get=EVERYONE,
        post=only(county=OK, federation=OK, other_county=BAD),
        body={"post": _union_body},
    ),
    "api/v1/unions/<pk>/": Api(
        obj="union",
        get=READ,
        patch=only(county=OK, federation=OK),
        body={"patch": lambda w: {"contact_phone": "0792-8123456", "reason": "矩阵测试"}},
    ),
    "api/v1/campaigns/": Api(
        get=EVERYONE,
        post=only(federation=OK, other_county=FORBIDDEN),
        body={"post": _campaign_body},
    ),
    "api/v1/campaigns/<pk>/": Api(
        obj="campaign",
        get=EVERYONE,
        patch=only(federation=OK, other_county=FORBIDDEN),
        body={"patch": lambda w: {"title": "矩阵测试改名"}},
    ),
    "api/v1/campaigns/<pk>/burden/": Api(obj="campaign", get=EVERYONE),
    "api/v1/cases/": Api(
        get=EVERYONE,
        # The world's union already has its case: allowed roles get 400 "already has a case".
        post=only(county=ACTS, federation=ACTS, other_county=BAD),
        body={"post": lambda w: {"campaign": w.campaign.pk, "union": w.union.pk}},
    ),
    "api/v1/cases/<pk>/": Api(obj="case", get=READ),
    "api/v1/cases/<pk>/history/": Api(obj="case", get=READ),
    "api/v1/cases/<pk>/burden/": Api(obj="case", get=READ),
    "api/v1/cases/<pk>/survey/": Api(
        obj="case",
        get=READ,
        put=only(reporter=ACTS, county=ACTS),
        body={"put": lambda w: w.survey},
    ),
    "api/v1/cases/<pk>/assessment/": Api(obj="case", get=READ),
    "api/v1/cases/<pk>/assessment/overrides/": Api(
        obj="case",
        post=only(county=ACTS),
        body={"post": lambda w: {"rule": w.rule, "outcome": "met", "reason": "矩阵测试核实"}},
    ),
    "api/v1/cases/<pk>/transitions/<name>/": Api(
        obj="case", post=CASE_TRANSITIONS, body={"post": lambda w: {"comment": "矩阵测试"}}
    ),
    "api/v1/subsidies/": Api(
        get=EVERYONE,
        post=only(county=ACTS, other_county=BAD),
        body={"post": lambda w: {"case": w.model_case.pk}},
    ),
    "api/v1/subsidies/<pk>/": Api(obj="subsidy", get=READ_NOT_REPORTER),
    "api/v1/subsidies/<pk>/transitions/<name>/": Api(
        obj="subsidy", post=SUBSIDY_TRANSITIONS, body={"post": lambda w: {"comment": "矩阵测试"}}
    ),
    "api/v1/campaigns/<pk>/figures/": Api(obj="campaign", get=NOT_REPORTER),
    "api/v1/campaigns/<pk>/figures.xlsx": Api(obj="campaign", get=NOT_REPORTER),
    "api/v1/leader/home/": Api(get=who(FORBIDDEN, leader=OK)),
    "api/v1/imports/": Api(
        get=EVERYONE,
        post=only(county=ACTS, federation=ACTS, other_county=ACTS),
        multipart=True,
        # No file: allowed roles get 400 naming it; the others 403 before the upload is read.
        body={"post": lambda w: {"campaign": w.campaign.pk}},
    ),
    "api/v1/imports/<pk>/": Api(
        obj="import_job", get=who(OK, reporter=HIDDEN, other_county=HIDDEN)
    ),
    "api/v1/imports/template.xlsx": Api(get=EVERYONE, query="campaign={campaign}"),
    "api/v1/unions/export.xlsx": Api(get=EVERYONE),
    "api/v1/cases/<pk>/guidance/": Api(obj="case", get=READ),
    "api/v1/cases/<pk>/guidance/<action_id>/done/": Api(
        obj="case",
        kwargs={"action_id": "{guidance_action_id}"},
        post=only(county=ACTS),
        body={"post": lambda w: {"note": "矩阵测试"}},
    ),
    "api/v1/cases/<pk>/visits/": Api(
        obj="case",
        get=READ,
        post=only(county=ACTS),
        multipart=True,
        body={
            "post": lambda w: {"visited_on": "2022-09-01", "visitors": "矩阵", "found": "矩阵测试"}
        },
    ),
    # No evidence file in the world: only that an unknown one is 404 for everyone (weak).
    "api/v1/evidence/<pk>/": Api(kwargs={"pk": "999999"}, get=who(HIDDEN)),
    "api/v1/campaigns/<pk>/summary-board/": Api(obj="campaign", get=NOT_REPORTER),
    "api/v1/summaries/": Api(
        get=EVERYONE,
        post=only(county=ACTS, other_county=ACTS),
        body={"post": lambda w: {"campaign": w.campaign.pk}},
    ),
    "api/v1/summaries/figures/": Api(get=EVERYONE),
    "api/v1/summaries/<pk>/": Api(
        # The role is checked before the scope on a change: a reporter gets 403 (it learns nothing).
        obj="summary",
        get=only(OK, reporter=HIDDEN),
        patch=only(county=ACTS),
        body={"patch": lambda w: {"text": "矩阵测试"}},
    ),
    "api/v1/summaries/<pk>/transitions/<name>/": Api(
        obj="summary", post=SUMMARY_TRANSITIONS, body={"post": lambda w: {"comment": "矩阵测试"}}
    ),
    "api/v1/notifications/": Api(get=EVERYONE),
    "api/v1/notifications/unread/": Api(get=EVERYONE),
    "api/v1/notifications/read/": Api(post=EVERYONE, body={"post": lambda w: {"all": True}}),
    # --- Pages -----------------------------------------------------------------------------
    "": Page(get=EVERYONE),
    "login/": Public(get=EVERYONE),
    "logout/": Public(post=who(TO_LOGIN)),
    "healthz/": Public(get=EVERYONE),
    "models/": Public(get=EVERYONE),  # the published list of model unions (示范工会)
    "i18n/setlang/": Public(post=EVERYONE, body={"post": lambda w: {"language": "en"}}),
    "dashboard/": Page(get=NOT_REPORTER),
    "cases/": Page(get=EVERYONE),
    "cases/export/": Page(get=EVERYONE),
    "cases/<pk>/": Page(obj="case", get=READ),
    "cases/<pk>/survey/": Page(obj="case", get=READ),
    "cases/<pk>/report/": Page(obj="case", get=READ),
    "cases/<pk>/report.pdf": Page(obj="case", get=READ),
    "cases/<pk>/transitions/<name>/": Page(
        obj="case", post=PAGE_CASE_TRANSITIONS, body={"post": lambda w: {"comment": "矩阵测试"}}
    ),
    "cases/<pk>/overrides/": Page(
        obj="case",
        post=only(REFUSED, county=ACTS),
        body={"post": lambda w: {"rule": w.rule, "outcome": "met", "reason": "矩阵测试核实"}},
    ),
    "cases/<pk>/guidance/<action_id>/done/": Page(
        obj="case",
        kwargs={"action_id": "{guidance_action_id}"},
        post=only(REFUSED, county=ACTS),
        body={"post": lambda w: {"note": "矩阵测试"}},
    ),
    "cases/<pk>/subsidy/": Page(obj="model_case", post=only(REFUSED, county=ACTS, reporter=HIDDEN)),
    "subsidies/": Page(get=EVERYONE),
    "subsidies/export/": Page(get=EVERYONE),
    "subsidies/<pk>/transitions/<name>/": Page(
        obj="subsidy",
        post=PAGE_SUBSIDY_TRANSITIONS,
        body={"post": lambda w: {"comment": "矩阵测试"}},
    ),
    "unions/": Page(get=EVERYONE),
    "unions/export/": Page(get=EVERYONE),
    "unions/<pk>/": Page(obj="union", get=READ),
    "summaries/": Page(get=NOT_REPORTER),
    "summaries/export/": Page(get=NOT_REPORTER),
    # A reporter's list of summaries is refused (403); one summary is outside their scope (404).
    "summaries/<pk>/": Page(obj="summary", get=only(OK, reporter=HIDDEN)),
    "summaries/<pk>/print/": Page(obj="summary", get=only(OK, reporter=HIDDEN)),
    "summaries/<pk>/summary.pdf": Page(obj="summary", get=only(OK, reporter=HIDDEN)),
    "summaries/new/": Page(
        post=only(REFUSED, county=ACTS, other_county=ACTS),
        body={"post": lambda w: {"campaign": w.campaign.pk}},
    ),
    "summaries/<pk>/edit/": Page(
        obj="summary",
        post=only(REFUSED, county=ACTS, reporter=HIDDEN),
        body={"post": lambda w: {"text": "矩阵测试"}},
    ),
    "summaries/<pk>/transitions/<name>/": Page(
        obj="summary",
        post=PAGE_SUMMARY_TRANSITIONS,
        body={"post": lambda w: {"comment": "矩阵测试"}},
    ),
    "imports/": Page(get=EVERYONE),
    "imports/<pk>/": Page(obj="import_job", get=who(OK, reporter=HIDDEN, other_county=HIDDEN)),
    "imports/template.xlsx": Page(get=EVERYONE, query="campaign={campaign}"),
    "unions/export.xlsx": Page(get=EVERYONE),
    "audit/": Page(get=CITY_READERS),
    "audit/export/": Page(get=CITY_READERS),
    "audit/as-of/": Page(get=CITY_READERS),
    "audit/changes/<model_name>/<history_id>/": Page(
        kwargs={"model_name": "case", "history_id": "{case_history_id}"}, get=CITY_READERS
    ),
}

# Django's admin: staff only (federation officers and auditors), everyone else to its login.
ADMIN_PREFIX = "admin/"

_FORMAT_SUFFIX = re.compile(r"(\\\.\(\?P<format>\[a-z0-9\]\+\)/\?|<drf_format_suffix:format>)")
_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")
_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")


def route_key(route: str) -> str:
    """``api/v1/^cases/(?P<pk>\\d+)/$`` and ``cases/<int:pk>/`` become ``…/cases/<pk>/``; a
    format-suffix variant becomes its base route."""
    suffixed = bool(_FORMAT_SUFFIX.search(route))
    key = _FORMAT_SUFFIX.sub("", route)
    key = _GROUP.sub(r"<\1>", key).replace("^", "").replace("$", "")
    key = _CONVERTER.sub(r"<\1>", key)
    if suffixed and key and not key.endswith("/"):
        key += "/"
    return key


def iter_routes(patterns=None, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    """Every URL pattern of the project, with its full route, recursively."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from iter_routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern


def drf_methods(pattern: URLPattern) -> set[str] | None:
    """The methods a DRF route answers (None for a plain Django view)."""
    callback = pattern.callback
    cls = getattr(callback, "cls", None)
    if cls is None or not hasattr(cls, "http_method_names"):
        return None
    allowed = {m for m in cls.http_method_names if m not in ("options", "head")}
    actions = getattr(callback, "actions", None)
    if actions:
        return set(actions) & allowed
    return {m for m in allowed if hasattr(cls, m)}
