"""Domain errors raised by services; the API and the pages map them to status codes."""

from __future__ import annotations


class ServiceError(Exception):
    pass


class NotInScope(ServiceError):
    """The object does not exist for this user (404)."""


class RoleForbidden(ServiceError):
    """The user's role may not do this (403)."""


class Conflict(ServiceError):
    """Not available now: wrong stage, an unmet condition, or a concurrent change that won (409)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class InvalidInput(ServiceError):
    """Bad input, keyed by field (400). Nothing was saved."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors
