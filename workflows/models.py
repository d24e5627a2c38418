from __future__ import annotations

import hashlib
import json
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from unions.models import Union


class Track(models.TextChoices):
    SIX_HAVES = "six_haves", _("Six haves (六有)")
    SIX_NORMS = "six_norms", _("Six norms (六个规范)")


class Stage(models.TextChoices):
    SURVEY = "survey", pgettext_lazy("stage of a case", "Survey")
    SURVEY_REVIEW = "survey_review", _("Survey review")
    ASSESSMENT = "assessment", _("Assessment")
    ASSESSMENT_REVIEW = "assessment_review", _("Assessment review")
    GUIDANCE = "guidance", _("Guidance")
    SELECTION = "selection", _("Model selection")
    SUBSIDY = "subsidy", _("Subsidy")
    CLOSED = "closed", _("Closed")


class Campaign(models.Model):
    """One year's campaign, as the federation's work plan sets it out."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    title = models.CharField(_("title"), max_length=200)
    reference_date = models.DateField(
        _("reference date"), help_text=_("Founding age (five years) is counted to this date.")
    )
    survey_deadline = models.DateField(_("survey deadline"))
    summary_deadline = models.DateField(_("summary deadline"))
    subsidy_six_haves = models.DecimalField(
        _("subsidy for a six-haves model union"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    subsidy_six_norms = models.DecimalField(
        _("subsidy for a six-norms model union"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    subsidy_budget = models.DecimalField(
        _("subsidy budget"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    model_quota_per_county = models.PositiveIntegerField(_("model unions per county"), default=10)
    evaluation_thresholds = models.JSONField(
        _("member evaluation thresholds"),
        null=True,
        blank=True,
        help_text=_("Leave empty for the plurality rule."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-year"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")

    def __str__(self) -> str:
        return f"{self.year} {self.title}"

    def clean(self) -> None:
        errors = {}
        if (
            self.summary_deadline
            and self.survey_deadline
            and self.summary_deadline < self.survey_deadline
        ):
            errors["summary_deadline"] = _(
                "The summary deadline cannot be before the survey deadline."
            )
        if self.evaluation_thresholds:
            from inspections.rules import evaluation_grade

            try:
                evaluation_grade(1, 0, 0, self.evaluation_thresholds)
            except (ValueError, TypeError, ArithmeticError):
                errors["evaluation_thresholds"] = _(
                    'Give both shares between 0 and 1, e.g. {"satisfied": 0.8, "basically_satisfied": 0.6}.'
                )
        if errors:
            raise ValidationError(errors)

    def subsidy_amount(self, track: str) -> Decimal:
        return self.subsidy_six_norms if track == Track.SIX_NORMS else self.subsidy_six_haves


class Case(models.Model):
    """One union in one campaign, carried from survey to closed by ``workflows.flows.CaseFlow``.

    ``stage`` is only ever changed by ``workflows.services.do_transition``; ``track`` is derived
    from the union's founding date and the campaign's reference date and never typed in.
    """

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="cases"
    )
    union = models.ForeignKey(
        Union, verbose_name=_("union"), on_delete=models.PROTECT, related_name="cases"
    )
    track = models.CharField(_("track"), max_length=20, choices=Track.choices)
    stage = models.CharField(
        _("stage"), max_length=20, choices=Stage.choices, default=Stage.SURVEY, db_index=True
    )
    returned_count = models.PositiveIntegerField(_("times sent back"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "union"], name="one_case_per_union_per_campaign"
            )
        ]
        indexes = [models.Index(fields=["campaign", "stage"])]

    def __str__(self) -> str:
        return f"{self.union} · {self.campaign.year}"


class Event(models.Model):
    """What a person (or the system) did: one row per business action, in the same transaction.

    - ``subject`` / ``subject_id``: what was acted on (``case``, ``subsidy``, ``summary``, ``union``).
    - ``case``: the case concerned, when there is one (subsidy events carry their case too), so
      a case's timeline is one indexed query.
    - ``federation``: the county concerned; notifications and scope derive from it.
    - ``actor``: who acted (null only for system actions such as the deadline command).
    - ``action``: the transition name (``submit_survey`` …, ``sign_off`` …) or another verb
      (``create``, ``override``, ``update_track``, ``remind``).
    - ``from_stage`` / ``to_stage``: the state before and after (equal for non-transitions).
    - ``comment``: the reason the actor gave.
    - ``data``: plain JSON facts of the action (e.g. the rule overridden), safe to round-trip.
    - ``history_id``: the historical row the action produced, to merge field changes.
    - ``chain`` / ``prev_hash`` / ``hash``: each subject's events form a hash chain, written
      under the subject's row lock, so ``verify_audit`` can tell a row changed or removed
      outside the application.
    """

    class Subject(models.TextChoices):
        CASE = "case", _("case")
        SUBSIDY = "subsidy", _("subsidy")
        SUMMARY = "summary", _("county summary")
        UNION = "union", _("union")

    subject = models.CharField(max_length=20, choices=Subject.choices)
    subject_id = models.BigIntegerField()
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    federation = models.ForeignKey(
        "unions.Federation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=40, db_index=True)
    from_stage = models.CharField(max_length=20, blank=True)
    to_stage = models.CharField(max_length=20, blank=True)
    comment = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    history_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(db_index=True)
    chain = models.CharField(max_length=40)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["case", "id"]),
            models.Index(fields=["chain", "id"]),
            models.Index(fields=["federation", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.from_stage}→{self.to_stage}"

    def compute_hash(self) -> str:
        payload = json.dumps(
            [
                self.prev_hash,
                self.chain,
                self.case_id,
                self.federation_id,
                self.actor_id,
                self.action,
                self.from_stage,
                self.to_stage,
                self.comment,
                self.data,
                self.created_at.isoformat(),
            ],
            ensure_ascii=False,
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(payload.encode()).hexdigest()


class ChainHead(models.Model):
    """Where each subject's event chain ends, moved forward in the transaction that appends.

    A hash chain alone cannot show that its newest rows were removed: what is left is still a
    valid chain. The head keeps the chain's length and its last event and hash, so
    ``verify_audit`` also notices a chain cut short or extended outside the application.
    ``last_event_id`` is a plain number, not a foreign key, so that it still names a removed row.
    """

    chain = models.CharField(max_length=40, primary_key=True)
    last_event_id = models.BigIntegerField()
    length = models.PositiveIntegerField()
    hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"{self.chain} #{self.length}"


class IdempotentResponse(models.Model):
    """The first answer to a request sent with an ``Idempotency-Key``, replayed on retries."""

    key = models.CharField(max_length=200)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=300)
    status = models.PositiveSmallIntegerField()
    body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.key})"


class GuidanceAction(models.Model):
    """One step of a case's guidance plan (分类推进指导): made for each unmet rule when the
    assessment is approved; closes itself, audited, when a reassessment finds the rule met."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="guidance_actions")
    rule = models.CharField(_("rule"), max_length=10)
    clause = models.TextField(_("clause"))
    step = models.TextField(_("suggested step"))
    owner = models.CharField(_("owner"), max_length=100, blank=True)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    done_note = models.TextField(_("what was done"), blank=True)
    closed_by_reassessment = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["case", "rule"]
        verbose_name = _("guidance action")
        verbose_name_plural = _("guidance actions")
        constraints = [
            models.UniqueConstraint(fields=["case", "rule"], name="one_action_per_rule_per_case")
        ]

    def __str__(self) -> str:
        return f"{self.case} {self.rule}"
