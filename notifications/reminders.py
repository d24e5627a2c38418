"""Deadline reminders and monitors, computed from the records as they stand on a given day.

``send_reminders(today)`` is what ``manage.py send_reminders`` runs. It is safe to run every
few minutes: each reminder carries a ``dedupe_key``, unique per recipient, so a second run (or
two runs at once) sends nothing twice. How to schedule it: docs/reminders.md.

Deadlines, for each current campaign (summary deadline no more than ``CURRENT_FOR`` ago):
1. Survey deadline: each county with unions whose survey is not submitted (cases still at the
   ``survey`` stage, and unions with no case in the campaign yet) gets, sent to its county
   officers, one reminder when 7 days or fewer remain, one when 1 day or less remains (the
   deadline day included), and one when it has passed. A reminder that comes due while the
   command did not run is sent late, once; a later one supersedes it (the 1-day reminder is
   sent alone if the command first runs the day before). The reporters of each union whose case
   is still at ``survey`` get the same three, about their own union.
2. Summary deadline: the same three reminders to the officers of each county whose county
   summary is not submitted (none, draft or returned).
Moving a deadline makes its reminders due again: the deadline date is part of the key.

Monitors, over every union's survey data (for each field, the newest survey that records it):
3. Roster older than six months: ``roster_updated_on`` more than 183 days before today.
4. Members' congress term ending within 60 days, or already ended: the term starts on
   ``member_congress.elected_on`` when the survey records it, else on ``chair.elected_on`` (the
   chair is elected when the congress elects the committee that opens the term), and lasts
   ``member_congress.term_years``. A chair elected in a by-election makes this later than the
   real end; recording ``member_congress.elected_on`` corrects it.
5. No member evaluation this year: a union with a case in a campaign of this calendar year and
   no ``MemberEvaluation`` for this year.
Each finding goes to the union's reporters, once per fact (the roster date, the term's end, the
year). The county officers get one digest per monitor and county a month, naming the unions,
rather than one notification per union: a county has over a thousand unions, and the plan
itself warns against burying officers in paperwork (防止填表多、材料多).
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db import IntegrityError
from django.db.models import Count
from django.db.models.fields.json import KT

from inspections.models import CountySummary, MemberEvaluation, Survey
from unions.models import Federation, Role, Union, User
from workflows.models import Campaign, Case, Stage

from .dispatch import Draft, write

log = logging.getLogger(__name__)

CURRENT_FOR = timedelta(days=30)
ROSTER_MAX_AGE_DAYS = 183
TERM_WARNING_DAYS = 60
DIGEST_NAMES = 10

PHASES = ("7d", "1d", "overdue")


def deadline_phase(deadline: date, today: date) -> str | None:
    """Which reminder of ``deadline`` is due on ``today``: ``7d``, ``1d``, ``overdue`` or none."""
    days = (deadline - today).days
    if days < 0:
        return "overdue"
    if days <= 1:
        return "1d"
    if days <= 7:
        return "7d"
    return None


def add_years(start: date, years: int) -> date:
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # Feb 29 to a common year: the anniversary is Feb 28, as in NORMS.md
        return date(start.year + years, 2, 28)


def _parse_date(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _parse_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@dataclass
class Report:
    """What one run sent, by kind."""

    sent: Counter = field(default_factory=Counter)
    skipped_batches: int = 0

    @property
    def total(self) -> int:
        return sum(self.sent.values())


@dataclass
class _Context:
    today: date
    officers: dict[int, list[User]]  # federation id -> its active county officers
    federations: dict[int, Federation]
    report: Report

    def reporters(self, union_ids) -> dict[int, list[User]]:
        found: dict[int, list[User]] = defaultdict(list)
        for user in User.objects.filter(
            role=Role.UNION_REPORTER, is_active=True, union_id__in=list(union_ids)
        ).order_by("pk"):
            found[user.union_id].append(user)
        return found

    def send(self, drafts: list[Draft]) -> None:
        if not drafts:
            return
        try:
            rows = write(drafts)
        except IntegrityError:
            # Only when another run wrote the same reminder at the same moment (SQLite takes no
            # row locks): what it wrote stands, and the next run sends whatever is left.
            log.info("reminders skipped: another run sent them concurrently", exc_info=True)
            self.report.skipped_batches += 1
            return
        self.report.sent.update(row.kind for row in rows)


def send_reminders(today: date) -> Report:
    officers: dict[int, list[User]] = defaultdict(list)
    for user in User.objects.filter(
        role=Role.COUNTY_OFFICER, is_active=True, federation__isnull=False
    ).order_by("pk"):
        officers[user.federation_id].append(user)
    ctx = _Context(
        today=today, officers=officers, federations=Federation.objects.in_bulk(), report=Report()
    )
    for campaign in Campaign.objects.filter(summary_deadline__gte=today - CURRENT_FOR).order_by(
        "year"
    ):
        _survey_deadline(ctx, campaign)
        _summary_deadline(ctx, campaign)
    facts = _union_facts()
    _roster_monitor(ctx, facts)
    _congress_monitor(ctx, facts)
    _evaluation_monitor(ctx)
    return ctx.report


# --- Deadlines ---------------------------------------------------------------------------------


def _survey_deadline(ctx: _Context, campaign: Campaign) -> None:
    phase = deadline_phase(campaign.survey_deadline, ctx.today)
    if phase is None:
        return
    deadline = campaign.survey_deadline.isoformat()
    kind = "survey_overdue" if phase == "overdue" else f"survey_deadline_{phase}"
    pending_cases = list(
        Case.objects.filter(campaign=campaign, stage=Stage.SURVEY)
        .select_related("union")
        .order_by("pk")
    )
    pending: Counter = Counter(case.union.federation_id for case in pending_cases)
    not_started = (
        Union.objects.exclude(cases__campaign=campaign)
        .order_by()
        .values_list("federation_id")
        .annotate(n=Count("id"))
    )
    pending.update(dict(not_started))
    drafts = []
    for federation_id, count in sorted(pending.items()):
        key = f"{kind}:campaign={campaign.pk}:federation={federation_id}:{deadline}"
        params = {
            "campaign": campaign.title,
            "deadline": deadline,
            "federation": ctx.federations[federation_id].name,
            "pending": count,
        }
        drafts += [
            Draft(officer, kind, params, dedupe_key=key) for officer in ctx.officers[federation_id]
        ]
    union_kind = f"union_{kind}"
    reporters = ctx.reporters(case.union_id for case in pending_cases)
    for case in pending_cases:
        params = {"campaign": campaign.title, "deadline": deadline, "union": case.union.name}
        key = f"{union_kind}:case={case.pk}:{deadline}"
        drafts += [
            Draft(
                user, union_kind, params, link=f"/cases/{case.pk}/", case_id=case.pk, dedupe_key=key
            )
            for user in reporters[case.union_id]
        ]
    ctx.send(drafts)


def _summary_deadline(ctx: _Context, campaign: Campaign) -> None:
    phase = deadline_phase(campaign.summary_deadline, ctx.today)
    if phase is None:
        return
    deadline = campaign.summary_deadline.isoformat()
    kind = "summary_overdue" if phase == "overdue" else f"summary_deadline_{phase}"
    done = set(
        CountySummary.objects.filter(
            campaign=campaign,
            state__in=[CountySummary.State.SUBMITTED, CountySummary.State.ACCEPTED],
        ).values_list("federation_id", flat=True)
    )
    drafts = []
    for federation_id, officers in sorted(ctx.officers.items()):
        federation = ctx.federations[federation_id]
        if federation.level != Federation.Level.COUNTY or federation_id in done:
            continue
        key = f"{kind}:campaign={campaign.pk}:federation={federation_id}:{deadline}"
        params = {"campaign": campaign.title, "deadline": deadline, "federation": federation.name}
        drafts += [Draft(officer, kind, params, dedupe_key=key) for officer in officers]
    ctx.send(drafts)


# --- Monitors ----------------------------------------------------------------------------------


@dataclass
class _Facts:
    union_id: int
    union: str
    federation_id: int
    case_id: int  # of the newest survey, for the link
    roster_updated_on: date | None = None
    term_years: int | None = None
    congress_elected_on: date | None = None
    chair_elected_on: date | None = None


def _union_facts() -> dict[int, _Facts]:
    """Per union, each field from the newest survey that records it (a new campaign's survey
    does not carry dates over, so the previous one still speaks until it is filled)."""
    rows = (
        Survey.objects.order_by("case__union_id", "-case__campaign__year")
        .values_list(
            "case__union_id",
            "case__union__name",
            "case__union__federation_id",
            "case_id",
            KT("data__roster_updated_on"),
            KT("data__member_congress__term_years"),
            KT("data__member_congress__elected_on"),
            KT("data__chair__elected_on"),
        )
        .iterator(chunk_size=2000)
    )
    facts: dict[int, _Facts] = {}
    for union_id, name, federation_id, case_id, roster, term, congress_on, chair_on in rows:
        fact = facts.get(union_id)
        if fact is None:
            fact = facts[union_id] = _Facts(union_id, name, federation_id, case_id)
        fact.roster_updated_on = fact.roster_updated_on or _parse_date(roster)
        if fact.term_years is None:
            fact.term_years = _parse_int(term)
        fact.congress_elected_on = fact.congress_elected_on or _parse_date(congress_on)
        fact.chair_elected_on = fact.chair_elected_on or _parse_date(chair_on)
    return facts


def term_ends_on(fact: _Facts) -> date | None:
    start = fact.congress_elected_on or fact.chair_elected_on
    if start is None or fact.term_years is None or not 1 <= fact.term_years <= 10:
        return None
    return add_years(start, fact.term_years)


def _monitor(
    ctx: _Context,
    found: list[tuple[_Facts, str, dict[str, Any], str]],
    digest_kind: str,
    digest_params: dict[str, Any] | None = None,
) -> None:
    """Send each finding ``(facts, kind, params, fact key)`` to the union's reporters, and one
    digest a month per county to its officers."""
    reporters = ctx.reporters(fact.union_id for fact, *_ in found)
    drafts = []
    by_county: dict[int, list[_Facts]] = defaultdict(list)
    for fact, kind, params, fact_key in found:
        by_county[fact.federation_id].append(fact)
        params = {"union": fact.union, **params}
        key = f"{kind}:union={fact.union_id}:{fact_key}"
        link = f"/cases/{fact.case_id}/"
        drafts += [
            Draft(user, kind, params, link=link, case_id=fact.case_id, dedupe_key=key)
            for user in reporters[fact.union_id]
        ]
    month = ctx.today.strftime("%Y-%m")
    for federation_id, unions in sorted(by_county.items()):
        names = "、".join(fact.union for fact in unions[:DIGEST_NAMES])
        if len(unions) > DIGEST_NAMES:
            names += "…"
        params = {
            "federation": ctx.federations[federation_id].name,
            "count": len(unions),
            "unions": names,
            **(digest_params or {}),
        }
        key = f"{digest_kind}:federation={federation_id}:{month}"
        drafts += [
            Draft(officer, digest_kind, params, dedupe_key=key)
            for officer in ctx.officers[federation_id]
        ]
    ctx.send(drafts)


def _roster_monitor(ctx: _Context, facts: dict[int, _Facts]) -> None:
    found = []
    for fact in facts.values():
        roster = fact.roster_updated_on
        if roster is not None and (ctx.today - roster).days > ROSTER_MAX_AGE_DAYS:
            params = {"roster_updated_on": roster.isoformat()}
            found.append((fact, "roster_stale", params, roster.isoformat()))
    _monitor(ctx, found, "roster_stale_digest")


def _congress_monitor(ctx: _Context, facts: dict[int, _Facts]) -> None:
    found = []
    for fact in facts.values():
        ends_on = term_ends_on(fact)
        if ends_on is None or (ends_on - ctx.today).days > TERM_WARNING_DAYS:
            continue
        kind = "congress_term_ended" if ends_on < ctx.today else "congress_term_ending"
        params = {"term_ends_on": ends_on.isoformat()}
        found.append((fact, kind, params, ends_on.isoformat()))
    _monitor(ctx, found, "congress_term_digest")


def _evaluation_monitor(ctx: _Context) -> None:
    year = ctx.today.year
    evaluated = MemberEvaluation.objects.filter(year=year).values("union_id")
    cases = (
        Case.objects.filter(campaign__year=year)
        .exclude(union_id__in=evaluated)
        .select_related("union")
        .order_by("union_id")
    )
    found = [
        (
            _Facts(case.union_id, case.union.name, case.union.federation_id, case.pk),
            "no_member_evaluation",
            {"year": year},
            str(year),
        )
        for case in cases
    ]
    _monitor(ctx, found, "no_member_evaluation_digest", {"year": year})
