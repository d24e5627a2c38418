"""Page views: the home of each role is dispatched here; each area has its own module
(``views_home``, ``views_case``, ``views_lists``, ``views_audit``, ``views_dashboard``,
``views_reports``; the survey form is ``inspections.views_survey``, the unions ``unions.views``)."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache

from . import views_home


@never_cache
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """What waits on this person, by role (``views_home.HOMES``); auditors go to the explorer."""
    return views_home.home(request)


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})
