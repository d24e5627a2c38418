from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from .models import Case
from .scope import visible_cases
from .services import available_transitions, get_case_for_user
from lib.errors import NotInScope
from django.http import Http404


def _get_case_for_user(request: HttpRequest, pk: int) -> Case:
    try:
        return get_case_for_user(request.user, pk)
    except NotInScope:
        raise Http404 from None


@login_required
def home(request: HttpRequest) -> HttpResponse:
    cases = visible_cases(request.user).select_related("union__federation", "campaign")[:50]
    return render(request, "workflows/home.html", {"cases": cases})


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = _get_case_for_user(request, pk)
    return render(
        request,
        "workflows/case_detail.html",
        {"case": case, "transitions": available_transitions(case, request.user)},
    )


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})
