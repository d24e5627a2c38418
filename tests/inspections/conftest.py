"""Lets the pure tests of ``inspections.rules`` and ``inspections.survey`` run without the project.

Normally pytest-django configures ``config.settings``. When it is absent or disabled
(``-p no:django``, e.g. while the project is being built), configure a minimal i18n-only setup so
that ``gettext`` works; never when a settings module is already named or configured.
"""

from __future__ import annotations

import os

import django
from django.conf import settings


def _configure_minimal_settings() -> None:
    if settings.configured or os.environ.get("DJANGO_SETTINGS_MODULE"):
        return
    settings.configure(USE_I18N=True, LANGUAGE_CODE="en", INSTALLED_APPS=[])
    django.setup()


_configure_minimal_settings()
