"""Run Excel imports in this process: the ones named, or every job left unfinished (a process
stopped while its worker thread ran; nothing of that run was committed, so it simply reruns)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from inspections.imports import run_import
from inspections.models import ImportJob


class Command(BaseCommand):
    help = "Run Excel imports: the jobs named, or with --unfinished every job not done or failed."

    def add_arguments(self, parser):
        parser.add_argument("job_ids", nargs="*", type=int)
        parser.add_argument(
            "--unfinished", action="store_true", help="run every job not yet done or failed"
        )

    def handle(self, *args, job_ids, unfinished, **options):
        if not job_ids and not unfinished:
            raise CommandError("Name the jobs to run, or pass --unfinished.")
        ids = list(job_ids)
        if unfinished:
            ids += list(
                ImportJob.objects.exclude(state__in=ImportJob.FINISHED)
                .order_by("id")
                .values_list("pk", flat=True)
            )
        for job_id in dict.fromkeys(ids):
            if not ImportJob.objects.filter(pk=job_id).exists():
                raise CommandError(f"No import job {job_id}.")
            job = run_import(job_id)
            errors = len(job.errors)
            self.stdout.write(
                f"{job.pk} {job.file_name}: {job.state} ({errors} errors) {job.summary}"
            )
