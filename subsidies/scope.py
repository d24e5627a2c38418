from __future__ import annotations

from django.db.models import QuerySet

from unions.models import User
from workflows.scope import visible_cases

from .models import SubsidyApplication


def visible_subsidies(user: User) -> QuerySet[SubsidyApplication]:
    if not user.is_authenticated:
        return SubsidyApplication.objects.none()
    return SubsidyApplication.objects.filter(case__in=visible_cases(user))
