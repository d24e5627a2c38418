from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from workflows.models import Campaign, Case


class Survey(models.Model):
    """The facts one union reports in one campaign (NORMS.md, "Survey fields the rules read").

    ``data`` holds the survey as ``PUT /api/v1/cases/{id}/survey/`` takes it. ``prefilled`` lists
    the dotted paths carried over from the union's previous survey and not changed since;
    ``typed`` lists the paths a person entered; together they feed the burden meter (减负).
    """

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="survey")
    schema_version = models.PositiveSmallIntegerField(default=1)
    data = models.JSONField(default=dict, blank=True)
    prefilled = models.JSONField(default=list, blank=True)
    typed = models.JSONField(default=list, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")

    def __str__(self) -> str:
        return f"{self.case}"


class MemberEvaluation(models.Model):
    """会员评家: one written or oral ballot per union per year, with its grade (NORMS.md)."""

    union = models.ForeignKey(
        "unions.Union", on_delete=models.CASCADE, related_name="member_evaluations"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    held_on = models.DateField(_("held on"), null=True, blank=True)
    written = models.BooleanField(_("written ballot"), default=False)
    satisfied = models.PositiveIntegerField(_("satisfied"), default=0)
    basically_satisfied = models.PositiveIntegerField(_("basically satisfied"), default=0)
    unsatisfied = models.PositiveIntegerField(_("unsatisfied"), default=0)
    grade = models.CharField(_("grade"), max_length=30, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("member evaluation")
        verbose_name_plural = _("member evaluations")
        constraints = [
            models.UniqueConstraint(
                fields=["union", "year"], name="one_evaluation_per_union_per_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.union} {self.year}"


class Assessment(models.Model):
    """One run of the rules on a case's survey (``accept_survey`` or ``reassess``). The newest
    run is the case's current assessment; older ones stay for the history.

    ``lapsed_overrides`` lists the officers' overrides of the run before this one that did not
    carry over because the facts changed (``inspections.services.run_assessment``), so the page
    and the API can tell the officer which findings to decide again: ``[{"rule", "outcome",
    "override_reason", "overridden_by": {"username", "name"}, "overridden_at", "changed",
    "auto_outcome": [before, now], "evidence": [before, now]}]``, where ``changed`` names what
    differs (``auto_outcome``, ``evidence``, or ``rule`` when the rule is no longer assessed).
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assessments")
    run = models.PositiveSmallIntegerField(default=1)
    track = models.CharField(max_length=20)
    assessed_on = models.DateField()
    survey_snapshot = models.JSONField(default=dict)
    score = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    meets_standard = models.BooleanField(default=False)
    lapsed_overrides = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["case", "-run"]
        get_latest_by = "run"
        constraints = [
            models.UniqueConstraint(fields=["case", "run"], name="one_run_number_per_case")
        ]

    def __str__(self) -> str:
        return f"{self.case} #{self.run}"


class Finding(models.Model):
    """One rule's outcome in one assessment. ``auto_outcome`` is what the rule decided;
    ``outcome`` is what counts, equal to it unless an officer overrode it with a reason.

    ``carried_over_from`` is the run whose override this finding kept because the rule decided
    the same on the same evidence (NORMS.md: an override holds until the facts change); the
    override's reason, officer and time are that run's. A new override clears it."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="findings")
    rule = models.CharField(max_length=10)
    area = models.CharField(max_length=50)
    auto_outcome = models.CharField(max_length=20)
    outcome = models.CharField(max_length=20)
    evidence = models.TextField()
    override_reason = models.TextField(blank=True)
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    overridden_at = models.DateTimeField(null=True, blank=True)
    carried_over_from = models.PositiveSmallIntegerField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["assessment", "id"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "rule"], name="one_finding_per_rule")
        ]

    def __str__(self) -> str:
        return f"{self.rule}: {self.outcome}"


class CountySummary(models.Model):
    """报送检查总结: one county's report on one campaign. ``figures`` are computed from the
    records when submitted; ``stated_figures`` are what the officer typed, flagged where they
    disagree."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        ACCEPTED = "accepted", _("Accepted")
        RETURNED = "returned", _("Returned")

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="summaries")
    federation = models.ForeignKey(
        "unions.Federation", on_delete=models.PROTECT, related_name="summaries"
    )
    state = models.CharField(max_length=20, choices=State.choices, default=State.DRAFT)
    text = models.TextField(_("summary text"), blank=True)
    figures = models.JSONField(default=dict, blank=True)
    stated_figures = models.JSONField(default=dict, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    late = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("county summary")
        verbose_name_plural = _("county summaries")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "federation"], name="one_summary_per_county"
            )
        ]

    def __str__(self) -> str:
        return f"{self.federation} {self.campaign.year}"


class InspectionVisit(models.Model):
    """A county officer's visit to a union during guidance."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="visits")
    visited_on = models.DateField(_("visited on"))
    visitors = models.CharField(_("visitors"), max_length=200)
    found = models.TextField(_("what was found"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-visited_on", "-id"]

    def __str__(self) -> str:
        return f"{self.case} {self.visited_on:%Y-%m-%d}"


class EvidenceFile(models.Model):
    """A file attached to a visit: type checked by content, size capped, stored outside the web
    root under its hash, served only through a view that checks scope (``inspections.visits``
    stores it at ``PRIVATE_MEDIA_ROOT/evidence/<sha256[:2]>/<sha256>``)."""

    visit = models.ForeignKey(InspectionVisit, on_delete=models.CASCADE, related_name="files")
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    def __str__(self) -> str:
        return self.original_name


class ImportJob(models.Model):
    """One upload of the Excel roster (``inspections.imports``): its file, its progress and its
    outcome. All or nothing: ``done`` counts rows checked, and the rows are written in one
    transaction only when every row is valid; otherwise ``errors`` lists each bad cell.

    ``errors``: ``[{"sheet", "row", "column", "label", "cell", "message"}]`` (``cell`` as
    ``工会及调查!F12``). ``summary``: counts of what the import changed. The job is an operational
    record, not audited itself: the unions, cases and surveys it changes carry the history.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        CHECKING = "checking", _("Checking rows")
        SAVING = "saving", _("Saving")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    FINISHED = (State.DONE, State.FAILED)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    federation = models.ForeignKey("unions.Federation", on_delete=models.PROTECT, related_name="+")
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="+")
    file_name = models.CharField(_("file name"), max_length=200)
    file_sha256 = models.CharField(max_length=64, db_index=True)
    content = models.BinaryField()
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    language = models.CharField(
        max_length=10, blank=True, help_text=_("The uploader's language, for the error messages.")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("Excel import")
        verbose_name_plural = _("Excel imports")

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_state_display()})"
