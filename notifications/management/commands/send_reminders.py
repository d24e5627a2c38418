"""``manage.py send_reminders [--today YYYY-MM-DD]``: deadline reminders and monitors."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from notifications.reminders import send_reminders


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--today must be a date as YYYY-MM-DD, not {value!r}") from None


class Command(BaseCommand):
    help = (
        "Remind county officers (and union reporters) of survey and summary deadlines 7 days "
        "and 1 day ahead and once overdue, and of stale rosters, members' congress terms ending "
        "within 60 days and missing member evaluations. Safe to run every few minutes: nothing "
        "is sent twice. Schedule it with cron (*/10 * * * * cd /srv/liuyou && .venv/bin/python "
        "manage.py send_reminders) or a systemd timer: see docs/reminders.md."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--today",
            type=_day,
            default=None,
            help="The day to compute reminders for (default: today in Asia/Shanghai).",
        )

    def handle(self, *args, today: date | None = None, **options):
        today = today or timezone.localdate()
        report = send_reminders(today)
        for kind, count in sorted(report.sent.items()):
            self.stdout.write(f"{kind}: {count}")
        if report.skipped_batches:
            self.stdout.write(
                f"{report.skipped_batches} batch(es) left to the next run (another run was sending)"
            )
        self.stdout.write(f"{today.isoformat()}: {report.total} notification(s) sent")
