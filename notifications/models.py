from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """One message for one recipient. A row first, a push second (DESIGN.md invariant 4): a
    client that missed pushes catches up from these rows with ``?after=ID``.

    - ``kind`` names what happened (``submit_survey``, ``subsidy_sign_off``,
      ``survey_deadline_7d``, ``roster_stale`` …); ``notifications.texts`` has its sentence.
    - ``params`` holds what the sentence needs (plain JSON), so the text is rendered in the
      reader's language whenever it is read or pushed.
    - ``previous`` is the id of the recipient's notification before this one (null for the
      first). Rows of one recipient are written under a lock on that recipient, so they commit
      in id order and ``previous`` is exact: a client that receives a push whose ``previous`` it
      has not seen knows it missed something and catches up.
    - ``dedupe_key`` makes reminders idempotent: unique per recipient when not empty.
    - ``event`` is the business action the notification derives from, when there is one.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=40)
    params = models.JSONField(default=dict, blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True)
    case = models.ForeignKey(
        "workflows.Case", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    event = models.ForeignKey(
        "workflows.Event", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    dedupe_key = models.CharField(max_length=200, blank=True)
    previous = models.BigIntegerField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    read = models.BooleanField(_("read"), default=False)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["recipient", "id"]),
            models.Index(fields=["recipient", "read"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=~models.Q(dedupe_key=""),
                name="notification_dedupe_per_recipient",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id}"
