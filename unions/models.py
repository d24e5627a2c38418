from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from . import uscc


class Federation(models.Model):
    """A federation of trade unions: the city (九江市总工会) or one of its 13 county-level ones."""

    class Level(models.TextChoices):
        CITY = "city", _("City")
        COUNTY = "county", _("County")

    code = models.CharField(_("code"), max_length=6, unique=True)
    name = models.CharField(_("name"), max_length=50)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)

    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name = _("federation")
        verbose_name_plural = _("federations")

    def __str__(self) -> str:
        return self.name


class UnionType(models.TextChoices):
    ENTERPRISE = "enterprise", _("Enterprise")
    INSTITUTION = "institution", _("Government agency or public institution")
    SOCIAL_ORG = "social_org", _("Social organisation")
    TOWNSHIP_STREET = "township_street", _("Township or street")
    INDUSTRIAL_PARK = "industrial_park", _("Industrial park or development zone")
    COUNTY_INDUSTRY_FEDERATION = "county_industry_federation", _("County industry federation")
    REGIONAL_FEDERATION = "regional_federation", _("Regional or industry federation below township")
    NEW_EMPLOYMENT = "new_employment", _("New forms of employment")


class Ownership(models.TextChoices):
    STATE_OWNED = "state_owned", _("State-owned")
    COLLECTIVE = "collective", _("Collective")
    STATE_CONTROLLED = "state_controlled", _("State-controlled")
    PRIVATE = "private", _("Private")
    FOREIGN = "foreign", _("Foreign-invested")
    OTHER = "other", _("Other")


class ParkLevel(models.TextChoices):
    NATIONAL = "national", _("National")
    PROVINCIAL = "provincial", _("Provincial")
    BELOW_PROVINCIAL = "below_provincial", _("Below provincial")


def validate_uscc(value: str) -> None:
    """GB 32100-2015, with a message that says what is wrong, so the officer knows what to fix."""
    if not value:
        return
    code = uscc.normalize(value)
    problem = uscc.problem(code)
    if problem is None:
        return
    if problem == uscc.LENGTH:
        message = _("A unified social credit code has 18 characters; %(value)s has %(length)d.")
    elif problem == uscc.CHARACTERS:
        message = _(
            "%(value)s is not a unified social credit code: it may only hold digits and capital "
            "letters other than I, O, S, V and Z."
        )
    elif problem == uscc.DIVISION:
        message = _(
            "%(value)s is not a unified social credit code: characters 3 to 8 are the digits of "
            "an administrative division code."
        )
    else:
        message = _(
            "%(value)s is not a valid unified social credit code: its last character should be "
            "%(expected)s, so one character is mistyped."
        )
    raise ValidationError(
        message,
        params={
            "value": value,
            "length": len(code),
            "expected": uscc.check_character(code[:17]) if problem == uscc.CHECK else "",
        },
        code="invalid_uscc",
    )


class Union(models.Model):
    """A grassroots union (基层工会), attached to the federation of its county (or the city)."""

    name = models.CharField(_("name"), max_length=200)
    federation = models.ForeignKey(
        Federation, verbose_name=_("federation"), on_delete=models.PROTECT, related_name="unions"
    )
    union_type = models.CharField(_("union type"), max_length=40, choices=UnionType.choices)
    ownership = models.CharField(
        _("ownership"), max_length=20, choices=Ownership.choices, blank=True
    )
    park_level = models.CharField(
        _("park level"), max_length=20, choices=ParkLevel.choices, blank=True
    )
    founded_on = models.DateField(_("founded on"))
    credit_code = models.CharField(
        _("employer's unified social credit code"),
        max_length=18,
        blank=True,
        validators=[validate_uscc],
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["federation__code", "name", "id"]
        verbose_name = _("grassroots union")
        verbose_name_plural = _("grassroots unions")
        indexes = [models.Index(fields=["federation", "name"])]
        constraints = [
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=~models.Q(credit_code=""),
                name="union_credit_code_unique",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        if self.credit_code:
            self.credit_code = uscc.normalize(self.credit_code)
        if self.ownership and self.union_type != UnionType.ENTERPRISE:
            errors["ownership"] = _("Ownership applies to enterprises only.")
        if self.park_level and self.union_type != UnionType.INDUSTRIAL_PARK:
            errors["park_level"] = _("Park level applies to industrial parks only.")
        if errors:
            raise ValidationError(errors)


class Role(models.TextChoices):
    UNION_REPORTER = "union_reporter", _("Union reporter")
    COUNTY_OFFICER = "county_officer", _("County officer")
    FEDERATION_OFFICER = "federation_officer", _("Federation officer")
    LEADER = "leader", _("Leader")
    AUDITOR = "auditor", _("Auditor")


class User(AbstractUser):
    """An officer or reporter. The role fixes what they may do; the scope fields fix where.

    - ``union_reporter``: ``union`` is their own union.
    - ``county_officer``: ``federation`` is their county.
    - ``leader``: ``linked_federations`` are the counties they follow (联系挂点); they read all.
    - ``federation_officer``, ``auditor``: city-wide.
    """

    role = models.CharField(_("role"), max_length=30, choices=Role.choices, blank=True)
    federation = models.ForeignKey(
        Federation,
        verbose_name=_("federation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="officers",
    )
    union = models.ForeignKey(
        Union,
        verbose_name=_("union"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reporters",
    )
    linked_federations = models.ManyToManyField(
        Federation, verbose_name=_("linked counties"), blank=True, related_name="leaders"
    )
    display_name = models.CharField(_("name"), max_length=50, blank=True)
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default="zh-hans",
        help_text=_("Notifications pushed to this user are written in this language."),
    )

    history = HistoricalRecords(
        excluded_fields=["password", "last_login"], m2m_fields=[linked_federations]
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def name(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    def clean(self) -> None:
        if self.role == Role.COUNTY_OFFICER and not self.federation_id:
            raise ValidationError({"federation": _("A county officer needs a federation.")})
        if self.role == Role.UNION_REPORTER and not self.union_id:
            raise ValidationError({"union": _("A union reporter needs a union.")})

    # Role predicates read better in permission functions than string comparisons.
    @property
    def is_reporter(self) -> bool:
        return self.role == Role.UNION_REPORTER

    @property
    def is_county_officer(self) -> bool:
        return self.role == Role.COUNTY_OFFICER

    @property
    def is_federation_officer(self) -> bool:
        return self.role == Role.FEDERATION_OFFICER

    @property
    def is_leader(self) -> bool:
        return self.role == Role.LEADER

    @property
    def is_auditor(self) -> bool:
        return self.role == Role.AUDITOR

    @property
    def reads_everything(self) -> bool:
        return (
            self.role in {Role.FEDERATION_OFFICER, Role.LEADER, Role.AUDITOR} or self.is_superuser
        )
