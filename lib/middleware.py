"""Chinese first on the pages."""

from __future__ import annotations


class ChineseFirstMiddleware:
    """Pages speak zh-hans until the reader picks English with the language switcher (the
    ``django_language`` cookie), whatever the browser's Accept-Language says: officers share
    machines whose browsers were set up in English. API clients keep Accept-Language, so a
    script may ask for English error messages. Must come before LocaleMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith("/api/"):
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
