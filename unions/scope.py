"""What each user may see. Every list, detail, export, API call and subscription goes through
these functions; a row outside them does not exist for that user (404, never 403).
"""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Federation, Role, Union, User


def visible_federations(user: User) -> QuerySet[Federation]:
    qs = Federation.objects.all()
    if not user.is_authenticated:
        return qs.none()
    if user.reads_everything:
        return qs
    if user.role == Role.COUNTY_OFFICER:
        return qs.filter(pk=user.federation_id)
    if user.role == Role.UNION_REPORTER and user.union_id:
        return qs.filter(unions=user.union_id)
    return qs.none()


def visible_unions(user: User) -> QuerySet[Union]:
    qs = Union.objects.all()
    if not user.is_authenticated:
        return qs.none()
    if user.reads_everything:
        return qs
    if user.role == Role.COUNTY_OFFICER:
        return qs.filter(federation_id=user.federation_id)
    if user.role == Role.UNION_REPORTER:
        return qs.filter(pk=user.union_id)
    return qs.none()


def federation_in_scope(user: User, federation_id: int) -> bool:
    """Whether the user works (not merely reads) the unions of this federation."""
    if user.role == Role.FEDERATION_OFFICER:
        return True
    if user.role == Role.COUNTY_OFFICER:
        return user.federation_id == federation_id
    return False


def union_in_scope(user: User, union: Union) -> bool:
    """Whether ``union`` is among ``visible_unions(user)``, decided on the loaded row without a
    query (the transition service's locked read). Mirrors ``visible_unions`` branch by branch;
    ``tests/unions/test_union_in_scope.py`` holds the two to the same answers for every role."""
    if not user.is_authenticated:
        return False
    if user.reads_everything:
        return True
    if user.role == Role.COUNTY_OFFICER:
        return union.federation_id == user.federation_id
    if user.role == Role.UNION_REPORTER:
        return union.pk == user.union_id
    return False
