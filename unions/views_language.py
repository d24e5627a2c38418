from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from .services import do_set_language


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switcher, plus: a logged-in user's choice is kept on their account, so
    their notifications are written in the language their pages speak."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        do_set_language(request.user, language)
    return response
