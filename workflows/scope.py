from __future__ import annotations

from django.db.models import QuerySet

from unions.models import User
from unions.scope import visible_unions

from .models import Campaign, Case


def visible_cases(user: User) -> QuerySet[Case]:
    if not user.is_authenticated:
        return Case.objects.none()
    if user.reads_everything:
        return Case.objects.all()
    return Case.objects.filter(union__in=visible_unions(user))


def visible_campaigns(user: User) -> QuerySet[Campaign]:
    if not user.is_authenticated:
        return Campaign.objects.none()
    return Campaign.objects.all()
