from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from workflows.models import Case


class SubsidyApplication(models.Model):
    """经费补助 for one selected model union. ``state`` changes only through
    ``subsidies.services.do_subsidy_transition``."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        SIGNED_OFF = "signed_off", _("Signed off")
        DISBURSED = "disbursed", _("Disbursed")
        REJECTED = "rejected", _("Rejected")

    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="subsidy")
    amount = models.DecimalField(
        _("amount (yuan)"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.DRAFT, db_index=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        verbose_name = _("subsidy application")
        verbose_name_plural = _("subsidy applications")

    def __str__(self) -> str:
        return f"{self.case} ¥{self.amount}"
