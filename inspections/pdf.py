"""The paper archive as PDF, made on the server with WeasyPrint.

The assessment report of a case and a county summary are rendered from the same templates the
browser prints, then laid out by WeasyPrint with the system's CJK fonts (Debian: fonts-noto-cjk).
The intranet has no internet, and a document must not make the server fetch anything on its
behalf: the fetcher serves this project's static files and refuses every other URL.
"""

from __future__ import annotations

import logging
import mimetypes
from pathlib import Path
from urllib.parse import quote, unquote, urlparse

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

# WeasyPrint reports each layout step at INFO (from its import on); the server's log wants only
# its warnings. It is imported only when a PDF is made: loading it takes most of a second.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

PDF_CONTENT_TYPE = "application/pdf"


def static_path(url_path: str) -> Path | None:
    """The file behind a ``STATIC_URL`` path, from the finders (development) or STATIC_ROOT."""
    prefix = "/" + settings.STATIC_URL.strip("/") + "/"
    if not url_path.startswith(prefix):
        return None
    relative = unquote(url_path[len(prefix) :])
    if not relative or ".." in Path(relative).parts:
        return None
    found = finders.find(relative)
    if found:
        return Path(found)
    candidate = Path(settings.STATIC_ROOT) / relative
    return candidate if candidate.is_file() else None


def static_only_fetcher():
    """A WeasyPrint fetcher that serves ``/static/…`` from disk and refuses anything else (no
    network, no other local files)."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
            parsed = urlparse(url)
            path = static_path(parsed.path) if parsed.scheme in ("http", "https") else None
            if path is None:
                raise ValueError(
                    f"refused to fetch {url!r}: only this site's static files are used"
                )
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})

    return StaticOnlyFetcher()


def render_pdf(template_name: str, context: dict, request: HttpRequest, **options) -> bytes:
    """``options`` go to WeasyPrint's ``write_pdf`` (tests ask for ``uncompressed_pdf``)."""
    from weasyprint import HTML

    html = render_to_string(template_name, {**context, "for_pdf": True}, request=request)
    base_url = request.build_absolute_uri("/")
    document = HTML(string=html, base_url=base_url, url_fetcher=static_only_fetcher())
    return document.write_pdf(**options)


def pdf_response(
    template_name: str, context: dict, request: HttpRequest, filename: str
) -> HttpResponse:
    response = HttpResponse(
        render_pdf(template_name, context, request), content_type=PDF_CONTENT_TYPE
    )
    # RFC 6266: an ASCII fallback and the UTF-8 name (Chinese union names).
    response["Content-Disposition"] = (
        f"attachment; filename=\"report.pdf\"; filename*=UTF-8''{quote(filename)}"
    )
    return response
