"""Every role, and anonymous, against every URL, API endpoint, transition, export and WebSocket.

The routes come from the URL configuration itself (``get_resolver().url_patterns``, walked
recursively), so a new endpoint cannot escape: one that is not classified in
``tests/security/matrix.py`` fails ``test_it_classifies_every_url_pattern``. Each answer is
checked against API.md: 401 for anonymous API calls, the login page for anonymous page views,
403 for a role that may not, 404 outside scope, and nothing written when refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.messages import ERROR, get_messages
from django.db import transaction
from django.test import Client
from django.urls import resolve
from django.utils import timezone, translation
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from inspections import excel
from inspections.imports import do_start_import
from inspections.summaries import do_create_summary
from lib.demo_survey import full_survey
from tests.conftest import PASSWORD, WUNING, make_union
from tests.reliability.builders import advance, submitted_subsidy
from unions.models import Role
from unions.services import do_create_user
from workflows.models import Event, GuidanceAction, Stage
from workflows.services import do_create_case

from .matrix import (
    ACTS,
    ADMIN_PREFIX,
    BAD,
    EXPECT,
    FORBIDDEN,
    HIDDEN,
    OK,
    REFUSED,
    ROLES,
    TO_LOGIN,
    drf_methods,
    iter_routes,
    route_key,
)

ROLE_REFUSAL = "Your role may not do this."


@dataclass
class World:
    campaign: Any
    union: Any
    case: Any
    model_case: Any
    subsidy: Any
    summary: Any
    survey: dict
    rule: str
    users: dict[str, Any]
    case_history_id: int
    import_job: Any
    guidance_action_id: int
    password: str = PASSWORD
    login_name: str = "xunyang"


@pytest.fixture
def other_leader(db):
    """A leader linked to 武宁县 only."""
    return do_create_user(
        username="leader_wuning",
        role=Role.LEADER,
        password=PASSWORD,
        federation_codes=[WUNING],
        display_name="领导 武宁",
    )


@pytest.fixture
def world(
    campaign,
    xunyang_union,
    reporter,
    xunyang_officer,
    wuning_officer,
    federation_officer,
    leader,
    other_leader,
    auditor,
) -> World:
    """The reporter's union's case, assessed; a model union of 浔阳区 with a submitted subsidy;
    a county summary and an import job of 浔阳区: through the services, as people would leave
    them. One guidance step is a plain row (a plan is only made for unmet rules, and this case
    meets them all)."""

    case = do_create_case(actor=xunyang_officer, campaign=campaign, union_id=xunyang_union.pk)
    case = advance(case, Stage.ASSESSMENT, county=xunyang_officer, federation=federation_officer)
    model_union = make_union(xunyang_officer, name="九江浔阳示范企业工会")
    model_case = do_create_case(actor=xunyang_officer, campaign=campaign, union_id=model_union.pk)
    model_case = advance(
        model_case, Stage.SUBSIDY, county=xunyang_officer, federation=federation_officer
    )
    subsidy = submitted_subsidy(model_case, county=xunyang_officer)
    summary = do_create_summary(actor=xunyang_officer, campaign=campaign)
    guidance_action = GuidanceAction.objects.create(
        case=case, rule="N5.5", clause="职工之家八有", step="补齐职工之家设施"
    )
    import_job = do_start_import(
        actor=xunyang_officer,
        campaign=campaign,
        federation=None,
        file_name="roster.xlsx",
        content=excel.build_template([]),
        start=False,  # no worker: the job stays pending
    )
    return World(
        campaign=campaign,
        union=xunyang_union,
        case=case,
        model_case=model_case,
        subsidy=subsidy,
        summary=summary,
        survey=full_survey(on=timezone.localdate()),
        rule=case.assessments.first().findings.order_by("id").first().rule,
        users={
            "reporter": reporter,
            "county": xunyang_officer,
            "other_county": wuning_officer,
            "federation": federation_officer,
            "leader": leader,
            "other_leader": other_leader,
            "auditor": auditor,
        },
        case_history_id=case.history.order_by("-history_id").first().history_id,
        import_job=import_job,
        guidance_action_id=guidance_action.pk,
    )


def _classified_routes() -> dict[str, list[str]]:
    """route key -> the raw routes that map to it (all URL patterns but the admin's)."""
    routes: dict[str, list[str]] = {}
    for route, _pattern in iter_routes():
        if route.startswith(ADMIN_PREFIX):
            continue
        routes.setdefault(route_key(route), []).append(route)
    return routes


def test_it_classifies_every_url_pattern():
    unclassified = sorted(set(_classified_routes()) - set(EXPECT))
    assert not unclassified, (
        "URL patterns with no entry in tests/security/matrix.py EXPECT (say who may use them): "
        + ", ".join(unclassified)
    )
    stale = sorted(set(EXPECT) - set(_classified_routes()))
    assert not stale, f"EXPECT names routes that no longer exist: {stale}"


def test_it_states_every_method_an_api_route_answers():
    missing = []
    for route, pattern in iter_routes():
        key = route_key(route)
        methods = drf_methods(pattern)
        if key in EXPECT and methods is not None:
            undeclared = methods - set(EXPECT[key].methods)
            if undeclared:
                missing.append(f"{key}: {sorted(undeclared)}")
    assert not missing, f"methods answered but not classified: {missing}"


def _path(key: str, access, world: World, name: str | None) -> str:
    path = "/" + key
    if access.obj:
        path = path.replace("<pk>", str(getattr(world, access.obj).pk))
    for param, value in access.kwargs.items():
        path = path.replace(
            f"<{param}>",
            value.format(
                case_history_id=world.case_history_id, guidance_action_id=world.guidance_action_id
            ),
        )
    if name is not None:
        path = path.replace("<name>", name)
    assert "<" not in path, f"{key}: fill its parameters in matrix.py ({path})"
    assert route_key(resolve(path).route) == key, (
        f"{path} resolves to {resolve(path).route}, not {key}"
    )
    return path + (f"?{access.query.format(campaign=world.campaign.pk)}" if access.query else "")


def _client(kind: str, user) -> Client:
    if kind == "api":
        client = APIClient()
        if user is not None:
            client.credentials(
                HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}"
            )
        return client
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _send(client, method: str, path: str, body: dict | None, kind: str, multipart: bool = False):
    if (kind == "api" or (kind == "public" and path.startswith("/api/"))) and not multipart:
        return getattr(client, method)(path, body or {}, format="json")
    if method == "get":
        return client.get(path)
    return getattr(client, method)(path, body or {})


def _refused_for_role(response) -> bool:
    texts = set()
    for language in ("en", "zh-hans"):
        with translation.override(language):
            texts.add(translation.gettext(ROLE_REFUSAL))
    return any(
        m.level == ERROR and any(str(m.message).endswith(text) for text in texts)
        for m in get_messages(response.wsgi_request)
    )


def _meets(want: Any, response, kind: str, method: str) -> bool:
    status = response.status_code
    to_login = status == 302 and response["Location"].split("?")[0].endswith(
        str(settings.LOGIN_URL).strip("/") + "/"
    )
    if want == TO_LOGIN:
        return to_login
    if want in (FORBIDDEN, HIDDEN, BAD):
        return status == want
    if want == REFUSED:
        return status == 403 or (status == 302 and _refused_for_role(response))
    if kind == "page" and method != "get":
        return status in (200, 302) and not to_login and not _refused_for_role(response)
    if want == OK:
        return 200 <= status < 300 or (kind != "api" and 300 <= status < 400 and not to_login)
    if want == ACTS:
        return 200 <= status < 300 or status in (400, 409)
    raise AssertionError(f"unknown outcome {want}")


def _anonymous_meets(kind: str, response) -> bool:
    if kind == "api":
        return response.status_code == 401
    if kind == "page":
        return response.status_code == 302 and "/login/" in response["Location"]
    return response.status_code < 400


@pytest.mark.parametrize("key", sorted(EXPECT))
def test_it_answers_each_role_as_api_md_says(key, world):
    access = EXPECT[key]
    failures = []
    for method, expectation in access.methods.items():
        names = list(expectation) if set(expectation) - set(ROLES) else [None]
        for name in names:
            wanted = expectation[name] if name is not None else expectation
            path = _path(key, access, world, name)
            body = access.body[method](world) if method in access.body else None
            for role in ("anonymous", *ROLES):
                events = Event.objects.count()
                with transaction.atomic():
                    user = None if role == "anonymous" else world.users[role]
                    try:
                        response = _send(
                            _client(access.kind, user),
                            method,
                            path,
                            body,
                            access.kind,
                            access.multipart,
                        )
                    except Exception as exc:  # noqa: BLE001 - a 500 is a finding like any other
                        failures.append(f"{method.upper()} {path} as {role}: raised {exc!r}")
                        transaction.set_rollback(True)
                        continue
                    if role == "anonymous":
                        ok, want = _anonymous_meets(access.kind, response), "401/login"
                    else:
                        want = wanted[role]
                        ok = _meets(want, response, access.kind, method)
                    if (
                        ok
                        and want in (FORBIDDEN, HIDDEN, REFUSED, "401/login")
                        and Event.objects.count() != events
                    ):
                        failures.append(
                            f"{method.upper()} {path} as {role}: refused but wrote an event"
                        )
                    if not ok:
                        failures.append(
                            f"{method.upper()} {path} as {role}: wanted {want}, got {response.status_code} "
                            f"{response.content[:160]!r}"
                        )
                    transaction.set_rollback(True)
    assert not failures, "\n".join(failures)


def test_it_keeps_the_admin_to_staff(world, client):
    """Every admin URL: anonymous and non-staff roles go to the admin login; staff get no 5xx."""
    from django.apps import apps

    samples = []
    for route, _pattern in iter_routes():
        if not route.startswith(ADMIN_PREFIX):
            continue
        path = "/" + route_key(route)
        for model in apps.get_models():
            path = path.replace(
                f"{model._meta.app_label}/{model._meta.model_name}/<object_id>",
                f"{model._meta.app_label}/{model._meta.model_name}/{model.objects.values_list('pk', flat=True).first() or 1}",
            )
        path = (
            path.replace("<app_label>", "workflows")
            .replace("<content_type_id>", "1")
            .replace("<object_id>", "1")
            .replace("<url>", "x")
        )
        if "<" in path or "(" in path:
            continue
        samples.append(path)
    assert len(samples) > 20
    failures = []
    for role in ("anonymous", *ROLES):
        user = None if role == "anonymous" else world.users[role]
        browser = _client("page", user)
        for path in samples:
            if path.endswith("/logout/"):
                continue
            response = browser.get(path)
            to_login = response.status_code == 302 and "/admin/login/" in response["Location"]
            if role in ("federation", "auditor"):
                if response.status_code >= 500 or to_login:
                    failures.append(f"{path} as {role}: {response.status_code}")
            elif not to_login and path != "/admin/login/":
                failures.append(f"{path} as {role}: {response.status_code}, not the admin login")
    assert not failures, "\n".join(failures)


# --- WebSocket ------------------------------------------------------------------------------

WS_EXPECT = {"ws/notifications/": "every logged-in role; anonymous refused"}


def _ws_routes():
    from notifications.routing import websocket_urlpatterns

    return [str(p.pattern) for p in websocket_urlpatterns]


def test_it_classifies_every_websocket_route():
    assert sorted(_ws_routes()) == sorted(WS_EXPECT)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_opens_the_socket_for_every_role_and_never_for_anonymous(
    reporter, xunyang_officer, wuning_officer, federation_officer, leader, auditor
):
    from config.asgi import application

    def opens(query: str) -> bool:
        async def attempt():
            communicator = WebsocketCommunicator(
                application,
                f"/ws/notifications/{query}",
                headers=[(b"origin", b"http://localhost")],
            )
            connected, _ = await communicator.connect(timeout=5)
            await communicator.disconnect()
            return connected

        return async_to_sync(attempt)()

    for user in (reporter, xunyang_officer, wuning_officer, federation_officer, leader, auditor):
        assert opens(f"?token={Token.objects.get_or_create(user=user)[0].key}"), user.username
    assert not opens("")
    assert not opens("?token=not-a-token")
