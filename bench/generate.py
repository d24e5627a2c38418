"""Generate a city or a province on PostgreSQL for the benchmarks, fast.

    python bench/generate.py --size city        # 20,000 unions, 14 federations, 5 campaigns
    python bench/generate.py --size province    # 200,000 unions, 110 federations, 2 campaigns
    python bench/generate.py --size quick       # 2,000 unions, 3 campaigns (a smoke run)
    python bench/generate.py --unions 5000 --campaigns 2 --db bench_custom --fresh

The database (``bench_<size>`` unless ``--db``) is created on the server of ``BENCH_PG``
(default ``postgres://postgres@127.0.0.1:5432``) and migrated; a database that already holds
the requested number of unions is reused as it is (``--fresh`` drops it first).

Everything is what the application itself would have written, only written in bulk:

1. officers and campaigns through the services (a handful of rows);
2. unions, cases, surveys, subsidies with their simple-history rows (``+`` on creation, ``~`` on
   each change, actor and reason set), streamed with ``COPY``; the member evaluation (会员评家)
   each submitted survey reports, and each run of the rules (``accept_survey``, ``reassess``):
   its assessment and one finding per rule of the case's track, computed by
   ``inspections.rules`` on the survey, with the officer's confirmation of what needed review
   before the case was submitted (``override`` events);
3. one event per business action (``create``, each transition, the subsidy's steps), each
   hashed into its subject's chain in Python with ``Event.compute_hash`` and the chain's head
   written, so ``manage.py verify_audit`` passes on the result;
4. per case a path through the stage machine of API.md: past campaigns mostly closed (some
   returned once or twice), the current campaign spread over the stages like a live one; a fifth
   of the cases that reached guidance were assessed again after it (the first run lacking one
   thing); surveys vary by their ballots' grade and, for a quarter, one unmet requirement.

Columns come from the models' ``_meta``, so a field added later gets its default without a
change here. Prints one line per table with its row count and the seconds it took.
"""

from __future__ import annotations

import argparse
import copy
import itertools
import json
import os
import random
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZES = {
    "quick": {"unions": 2_000, "campaigns": 3, "federations": 14},
    "city": {"unions": 20_000, "campaigns": 5, "federations": 14},
    "province": {"unions": 200_000, "campaigns": 2, "federations": 110},
}
PASSWORD = "bench-password-1"  # noqa: S105 - benchmark data only
CURRENT_YEAR = 2022

# Where the current campaign's cases stand (as load_demo spreads them), in percent.
CURRENT_PLAN = (
    ["survey"] * 50
    + ["survey_review"] * 12
    + ["assessment"] * 10
    + ["assessment_review"] * 6
    + ["guidance"] * 12
    + ["selection"] * 3
    + ["subsidy"] * 2
    + ["closed"] * 5
)
PAST_PLAN = ["closed"] * 80 + ["guidance"] * 12 + ["survey"] * 8
ORDER = [
    "survey",
    "survey_review",
    "assessment",
    "assessment_review",
    "guidance",
    "selection",
    "subsidy",
    "closed",
]
# The ballots of the member evaluation (会员评家) a survey reports (satisfied, basically satisfied,
# unsatisfied), by the grade NORMS.md's plurality rule gives them, and the share of surveys
# reporting each grade, in percent; None: no ballots, no evaluation, the evaluation rule needs
# review.
BALLOTS = {
    "satisfied": (210, 70, 5),
    "basically_satisfied": (90, 170, 25),
    "unsatisfied": (30, 80, 160),
}
GRADE_WEIGHTS = {"satisfied": 70, "basically_satisfied": 22, "unsatisfied": 5, None: 3}
# What a survey may lack, per track: one survey answer that fails one rule (inspections.rules).
DEFECTS = {
    "six_haves": (
        ("funds.independent_account", False),
        ("chair.elected_lawfully", False),
        ("activities_last_year", 0),
    ),
    "six_norms": (
        ("archives_complete", False),
        ("home.library", False),
        ("work_briefing", False),
    ),
}
DEFECT_SHARE = 0.25  # of the assessed surveys (a model union's has none)
REASSESSED_SHARE = 0.2  # of the cases that reached guidance: assessed again after it
SETTLED = "已现场核实，符合要求"  # an officer's reason for confirming a finding that needed review
# (transition, from, to, who: county/federation)
FORWARD = [
    ("submit_survey", "survey", "survey_review", "county"),
    ("accept_survey", "survey_review", "assessment", "county"),
    ("submit_assessment", "assessment", "assessment_review", "county"),
    ("approve_assessment", "assessment_review", "guidance", "federation"),
    ("recommend_model", "guidance", "selection", "county"),
    ("select_model", "selection", "subsidy", "federation"),
]


def server_url() -> str:
    return os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432").rstrip("/")


def database_url(name: str) -> str:
    return f"{server_url()}/{name}"


def ensure_database(name: str, *, fresh: bool) -> bool:
    """Create the database if needed; True when it was (re)created."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                [name],
            )
            conn.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(name)))
            exists = None
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            return True
    return False


# The benchmarks measure the production configuration (DEBUG off: no query log, compressed
# static files), over plain HTTP on localhost.
PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "bench-only-secret-key-not-for-any-real-server-0123456789",
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "SECURE_SSL_REDIRECT": "false",
    "SESSION_COOKIE_SECURE": "false",
    "CSRF_COOKIE_SECURE": "false",
    "LOG_LEVEL": "WARNING",
}


def production_env(name: str) -> dict[str, str]:
    """The environment a benchmark's Django (in-process or a server) runs with against ``name``."""
    env = {**os.environ, **PRODUCTION_ENV, "DATABASE_URL": database_url(name)}
    env.pop("REDIS_URL", None)
    return env


def setup_django(name: str) -> None:
    os.environ.update(production_env(name))
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # DEBUG off serves static files through the manifest: collect them (unchanged files are skipped).
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=dict(os.environ),
        check=True,
    )
    import django

    django.setup()


class Copier:
    """Stream model rows into their table with COPY; columns from ``_meta``, defaults filled."""

    def __init__(self, connection):
        self.connection = connection
        self.counts: dict[str, int] = {}

    def copy(self, model, rows) -> int:
        rows = iter(rows)
        first = next(rows, None)
        if first is None:
            return 0
        pk = model._meta.pk
        # An auto primary key left out of the rows is numbered by the database.
        fields = [f for f in model._meta.concrete_fields if f is not pk or pk.attname in first]
        defaults = {}
        for f in fields:
            if f.has_default():
                defaults[f.attname] = f.get_default()
            elif f.null:
                defaults[f.attname] = None
        table = model._meta.db_table
        columns = ", ".join(self.connection.ops.quote_name(f.column) for f in fields)
        json_fields = {f.attname for f in fields if f.get_internal_type() == "JSONField"}
        n = 0
        with (
            self.connection.cursor() as cursor,
            cursor.cursor.copy(
                f"COPY {self.connection.ops.quote_name(table)} ({columns}) FROM STDIN"  # noqa: S608 - names from _meta
            ) as copy,
        ):
            for row in itertools.chain([first], rows):
                values = []
                for f in fields:
                    value = row[f.attname] if f.attname in row else defaults[f.attname]
                    if (
                        f.attname in json_fields
                        and value is not None
                        and not isinstance(value, str)
                    ):
                        value = json.dumps(value, ensure_ascii=False)
                    values.append(value)
                copy.write_row(values)
                n += 1
        self.counts[table] = self.counts.get(table, 0) + n
        return n


def next_id(model) -> int:
    from django.db.models import Max

    return (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1


def stage_path(
    target: str, returns: int, *, reassessed: bool = False
) -> list[tuple[str, str, str, str]]:
    """The transitions that take a new case to ``target``; the survey returned ``returns`` times
    and, when ``reassessed``, the case assessed again after its first guidance."""
    path = []
    for name, source, dest, who in FORWARD:
        if ORDER.index(dest) > ORDER.index(target):
            break
        path.append((name, source, dest, who))
        if name == "submit_survey":
            path += [
                ("return_survey", "survey_review", "survey", "county"),
                ("submit_survey", "survey", "survey_review", "county"),
            ] * returns
        if name == "approve_assessment" and reassessed:
            path += [("reassess", "guidance", "assessment", "county"), *FORWARD[2:4]]
    if target == "closed":
        path = [p for p in path if ORDER.index(p[2]) <= ORDER.index("guidance")]
        path.append(("close", "guidance", "closed", "federation"))
    return path


def history_row(
    row: dict, history_id: int, at: datetime, kind: str, reason: str, actor: int
) -> dict:
    """The simple-history row that saving ``row`` writes."""
    return {
        **row,
        "history_id": history_id,
        "history_date": at,
        "history_type": kind,
        "history_change_reason": reason,
        "history_user_id": actor,
    }


class EventWriter:
    """Events as ``record_event`` writes them: each hashed onto its subject's chain, with the
    chain's head kept, numbered from ``first_id``."""

    def __init__(self, event_model, first_id: int):
        self.model = event_model
        self.fields = [f.attname for f in event_model._meta.concrete_fields]
        self.next_id = first_id
        self.rows: list[dict] = []
        self.heads: dict[str, tuple[int, int, str]] = {}

    def append(
        self,
        subject,
        subject_id,
        actor,
        action,
        from_stage,
        to_stage,
        at,
        *,
        case_id,
        campaign_id,
        federation_id,
        comment="",
        data=None,
        history_id=None,
    ) -> None:
        chain = f"{subject}:{subject_id}"
        last_id, length, prev = self.heads.get(chain, (None, 0, ""))
        event = self.model(
            id=self.next_id,
            subject=subject,
            subject_id=subject_id,
            case_id=case_id,
            campaign_id=campaign_id,
            federation_id=federation_id,
            actor_id=actor,
            action=action,
            from_stage=from_stage,
            to_stage=to_stage,
            comment=comment,
            data=data or {},
            history_id=history_id,
            created_at=at,
            chain=chain,
            prev_hash=prev,
        )
        event.hash = event.compute_hash()
        self.rows.append({name: getattr(event, name) for name in self.fields})
        self.heads[chain] = (event.id, length + 1, event.hash)
        self.next_id += 1

    def head_rows(self) -> list[dict]:
        return [
            {"chain": c, "last_event_id": i, "length": n, "hash": h}
            for c, (i, n, h) in self.heads.items()
        ]


class Surveys:
    """A campaign's survey answers: NORMS.md's example as of the campaign's reference date (with
    the volunteer team N1.6 asks of township and park unions), varied by the ballots it reports
    and at most one defect. Each variant is built and serialized once."""

    def __init__(self, base: dict):
        self.base = base
        self.variants: dict[tuple, tuple[dict, str]] = {}

    def get(self, grade: str | None, defect: tuple[str, object] | None) -> tuple[dict, str]:
        key = (grade, defect)
        if key not in self.variants:
            data = copy.deepcopy(self.base)
            if grade is None:
                del data["member_evaluation"]
            else:
                satisfied, basically, unsatisfied = BALLOTS[grade]
                data["member_evaluation"].update(
                    satisfied=satisfied, basically_satisfied=basically, unsatisfied=unsatisfied
                )
            if defect is not None:
                path, value = defect
                *parents, leaf = path.split(".")
                target = data
                for parent in parents:
                    target = target[parent]
                target[leaf] = value
            self.variants[key] = (data, json.dumps(data, ensure_ascii=False))
        return self.variants[key]


def choose_survey(rng: random.Random, track: str, target: str, reassessed: bool) -> tuple:
    """The grade a case's survey reports, and the defect of its first and of its last assessment.

    Only a case whose survey is not yet submitted may lack ballots: ``submit_survey`` takes a
    complete survey, the member evaluation included. A model union (selection, subsidy) meets
    the standard; a reassessed case was found lacking the first time."""
    model = target in ("selection", "subsidy")
    allowed = {
        grade: weight
        for grade, weight in GRADE_WEIGHTS.items()
        if (grade is not None or target == "survey") and not (model and grade == "unsatisfied")
    }
    grade = rng.choices(list(allowed), list(allowed.values()))[0]
    last = None
    if not model and rng.random() < DEFECT_SHARE:
        last = rng.choice(DEFECTS[track])
    first = rng.choice(DEFECTS[track]) if reassessed else last
    return grade, first, last


class InspectionWriter:
    """Member evaluations, assessments and findings as ``submit_survey``, ``accept_survey`` /
    ``reassess`` and ``do_override_finding`` write them, with their history rows: each run's
    findings come from ``inspections.rules`` on the survey the case had then. Findings (millions
    at a province's size) are kept as the rules returned them and made rows only while copied."""

    LISTED = ("evaluation", "evaluation_history", "assessment", "assessment_history")

    def __init__(self, rules, models: dict):
        self.rules = rules
        self.models = models
        self.next_ids = {name: next_id(model) for name, model in models.items()}
        self.evaluated: set[tuple[int, int]] = set()
        self.rows: dict[str, list[dict]] = {name: [] for name in self.LISTED}
        self.runs: list[tuple] = []

    def _id(self, name: str) -> int:
        self.next_ids[name] += 1
        return self.next_ids[name] - 1

    def evaluate(self, union_id: int, data: dict, at: datetime, actor: int) -> None:
        """The union's evaluation of the year it was held, once (a resubmission writes nothing)."""
        ballots = data.get("member_evaluation")
        if ballots is None:
            return
        held_on = date.fromisoformat(ballots["held_on"])
        if (union_id, held_on.year) in self.evaluated:
            return
        self.evaluated.add((union_id, held_on.year))
        counts = (ballots["satisfied"], ballots["basically_satisfied"], ballots["unsatisfied"])
        row = {
            "id": self._id("evaluation"),
            "union_id": union_id,
            "year": held_on.year,
            "held_on": held_on,
            "written": ballots["written"],
            "satisfied": counts[0],
            "basically_satisfied": counts[1],
            "unsatisfied": counts[2],
            "grade": self.rules.evaluation_grade(*counts) or "",
        }
        self.rows["evaluation"].append(row)
        history_id = self._id("evaluation_history")
        self.rows["evaluation_history"].append(
            history_row(row, history_id, at, "+", "Member evaluation recorded", actor)
        )

    def assess(
        self, case: dict, run: int, union: dict, survey: tuple[dict, str], at, actor, *, settle
    ):
        """Run ``run`` of the rules on ``survey`` (data, JSON). With ``settle`` (the case is
        submitted next) the officer confirms each finding that needs review, a minute apart.
        Returns the confirmed rules and when, for their events."""
        from django.utils import timezone

        data, data_json = survey
        facts = {
            "union_type": union["union_type"],
            "ownership": union["ownership"] or None,
            "park_level": union["park_level"] or None,
        }
        assessed_on = timezone.localdate(at)
        findings = self.rules.assess(case["track"], facts, data, assessed_on)
        outcomes = {f.rule: f.outcome for f in findings}
        assessment = {
            "id": self._id("assessment"),
            "case_id": case["id"],
            "run": run,
            "track": case["track"],
            "assessed_on": assessed_on,
            "survey_snapshot": data_json,
            "created_by_id": actor,
            "created_at": at,
        }
        self._score(assessment, outcomes, at, "+", "Rules run", actor)
        overrides = {}
        if settle:
            for rule in [r for r, o in outcomes.items() if o == self.rules.NEEDS_REVIEW]:
                at += timedelta(minutes=1)
                outcomes[rule] = self.rules.MET
                overrides[rule] = at
                self._score(assessment, outcomes, at, "~", SETTLED, actor)
        self.rows["assessment"].append(assessment)
        first = self.next_ids["finding"]
        self.runs.append(
            (assessment["id"], first, findings, assessment["created_at"], overrides, actor)
        )
        self.next_ids["finding"] += len(findings)
        return list(overrides.items())

    def _score(self, assessment: dict, outcomes: dict, at, kind: str, reason: str, actor) -> None:
        """Score the assessment on ``outcomes``; its history row as of ``at``."""
        summary = self.rules.summarize(assessment["track"], outcomes)
        assessment["score"] = summary.score
        assessment["meets_standard"] = summary.meets_standard
        history_id = self._id("assessment_history")
        self.rows["assessment_history"].append(
            history_row(assessment, history_id, at, kind, reason, actor)
        )

    def _findings(self):
        """(a finding as the rules wrote it, when, when the officer confirmed it or None, the
        officer)."""
        for assessment_id, first, findings, at, overrides, actor in self.runs:
            for n, finding in enumerate(findings):
                row = {
                    "id": first + n,
                    "assessment_id": assessment_id,
                    "rule": finding.rule,
                    "area": finding.area,
                    "auto_outcome": finding.outcome,
                    "outcome": finding.outcome,
                    "evidence": finding.evidence,
                    "override_reason": "",
                }
                yield row, at, overrides.get(finding.rule), actor

    def _confirmed(self, row: dict, when: datetime, actor: int) -> dict:
        return {
            **row,
            "outcome": self.rules.MET,
            "override_reason": SETTLED,
            "overridden_by_id": actor,
            "overridden_at": when,
        }

    def _finding_history(self):
        for row, at, when, actor in self._findings():
            yield history_row(row, self._id("finding_history"), at, "+", "Rules run", actor)
            if when is not None:
                confirmed = self._confirmed(row, when, actor)
                yield history_row(confirmed, self._id("finding_history"), when, "~", SETTLED, actor)

    def copy(self, copier: Copier) -> int:
        """Copy what was written since the last call; the number of rows."""
        n = sum(copier.copy(self.models[name], self.rows[name]) for name in self.LISTED)
        n += copier.copy(
            self.models["finding"],
            (
                self._confirmed(row, when, actor) if when else row
                for row, _at, when, actor in self._findings()
            ),
        )
        n += copier.copy(self.models["finding_history"], self._finding_history())
        self.rows = {name: [] for name in self.LISTED}
        self.runs = []
        return n


def generate(args) -> None:
    from django.contrib.auth.hashers import make_password
    from django.core.management.color import no_style
    from django.db import connection, transaction

    from inspections import rules
    from inspections.models import Assessment, Finding, MemberEvaluation, Survey
    from lib.demo_survey import full_survey
    from subsidies.models import SubsidyApplication
    from unions import uscc
    from unions.models import Federation, Role, Union, User
    from unions.services import do_create_user
    from workflows.management.commands.load_demo import OWNERSHIPS, TYPE_WEIGHTS, _name
    from workflows.models import Case, ChainHead, Event
    from workflows.services import do_create_campaign

    rng = random.Random(args.seed)
    copier = Copier(connection)
    started = time.monotonic()

    def tick(what: str, n: int, since: float) -> None:
        print(f"  {what:28} {n:>10,} rows {time.monotonic() - since:7.1f} s", flush=True)

    # 1. Federations beyond the city's 14 (a province), officers, campaigns -------------------
    t = time.monotonic()
    have = Federation.objects.count()
    if args.federations > have:
        fid = next_id(Federation)
        extra = []
        for n in range(args.federations - have):
            extra.append(
                {
                    "id": fid + n,
                    "code": f"36{(5000 + n):04d}",
                    "name": f"省内第{n + 1}县总工会",
                    "level": "county",
                }
            )
        copier.copy(Federation, extra)
        copier.copy(
            Federation.history.model,
            [
                {
                    **row,
                    "history_date": datetime(2018, 1, 1, tzinfo=UTC),
                    "history_type": "+",
                    "history_change_reason": "bench",
                    "history_user_id": None,
                }
                for row in extra
            ],
        )
    federations = list(Federation.objects.order_by("code"))
    encoded = make_password(PASSWORD)
    fed = do_create_user(
        username="fed",
        role=Role.FEDERATION_OFFICER,
        password="",
        encoded_password=encoded,
        display_name="市总 刘敏",
    )
    fed2 = do_create_user(
        username="fed2", role=Role.FEDERATION_OFFICER, password="", encoded_password=encoded
    )
    do_create_user(
        username="leader",
        role=Role.LEADER,
        password="",
        encoded_password=encoded,
        federation_codes=[f.code for f in federations[:3]],
    )
    do_create_user(username="auditor", role=Role.AUDITOR, password="", encoded_password=encoded)
    officers = {}
    for federation in federations:
        officers[federation.pk] = do_create_user(
            username=f"c{federation.code}",
            role=Role.COUNTY_OFFICER,
            password="",
            encoded_password=encoded,
            federation_codes=[federation.code],
            display_name=f"{federation.name} 干事",
        ).pk
    campaigns = []
    for year in range(CURRENT_YEAR - args.campaigns + 1, CURRENT_YEAR + 1):
        campaigns.append(
            do_create_campaign(
                actor=fed,
                data={
                    "year": year,
                    "title": f"{year}年六有六规范建设",
                    "reference_date": date(year, 5, 20),
                    "survey_deadline": date(year, 8, 31),
                    "summary_deadline": date(year, 12, 15),
                    "subsidy_six_haves": Decimal("5000.00"),
                    "subsidy_six_norms": Decimal("8000.00"),
                    "subsidy_budget": Decimal("5000000.00"),
                    "model_quota_per_county": 100_000,
                },
            )
        )
    tick("users, campaigns", User.objects.count() + len(campaigns), t)

    # 2. Unions and their history ----------------------------------------------------------------
    t = time.monotonic()
    types, weights = zip(*TYPE_WEIGHTS, strict=True)
    union_id = next_id(Union)
    unions = []
    created = datetime(2017, 1, 1, tzinfo=UTC)
    for n in range(args.unions):
        federation = federations[n % len(federations)]
        union_type = rng.choices(types, weights)[0]
        unions.append(
            {
                "id": union_id + n,
                "name": _name(rng, union_type, federation.name, n + 1),
                "federation_id": federation.pk,
                "union_type": union_type,
                "ownership": rng.choice(OWNERSHIPS) if union_type == "enterprise" else "",
                "park_level": rng.choice(["national", "provincial", "below_provincial"])
                if union_type == "industrial_park"
                else "",
                "founded_on": date(2017, 5, 20) + timedelta(days=rng.randint(-9 * 365, 4 * 365)),
                "credit_code": uscc.make(f"91{federation.code}{n:09d}")
                if union_type == "enterprise"
                else "",
                "address": f"江西省九江市{federation.name}{rng.randint(1, 300)}号",
                "contact_name": "张伟",
                "contact_phone": f"0792-{rng.randint(2000000, 8999999)}",
                "created_at": created,
            }
        )
    with transaction.atomic():
        copier.copy(Union, unions)
        copier.copy(
            Union.history.model,
            (
                {
                    **u,
                    "history_date": created,
                    "history_type": "+",
                    "history_change_reason": "bench 导入",
                    "history_user_id": fed.pk,
                }
                for u in unions
            ),
        )
    tick("unions (+ history)", len(unions), t)

    # 3. Cases, their history, events and chains; surveys, evaluations, assessments; subsidies --
    inspections = InspectionWriter(
        rules,
        {
            "evaluation": MemberEvaluation,
            "evaluation_history": MemberEvaluation.history.model,
            "assessment": Assessment,
            "assessment_history": Assessment.history.model,
            "finding": Finding,
            "finding_history": Finding.history.model,
        },
    )
    case_id, hist_id, event_id = next_id(Case), next_id(Case.history.model), next_id(Event)
    survey_id, survey_hist_id = next_id(Survey), next_id(Survey.history.model)
    subsidy_id, subsidy_hist_id = (
        next_id(SubsidyApplication),
        next_id(SubsidyApplication.history.model),
    )
    for campaign in campaigns:
        t = time.monotonic()
        current = campaign.year == CURRENT_YEAR
        plan = CURRENT_PLAN if current else PAST_PLAN
        surveys_of = Surveys({**full_survey(on=campaign.reference_date), "volunteer_team": True})
        writer = EventWriter(Event, event_id)
        cases, case_history = [], []
        surveys, survey_history, subsidies, subsidy_history = [], [], [], []
        for u in unions:
            county = officers[u["federation_id"]]
            target = rng.choice(plan)
            at = datetime(campaign.year, 6, 1, 1, tzinfo=UTC) + timedelta(
                minutes=rng.randint(0, 60 * 24 * 20)
            )
            track = rules.track_for(u["founded_on"], campaign.reference_date)
            reassessed = (
                ORDER.index(target) >= ORDER.index("guidance") and rng.random() < REASSESSED_SHARE
            )
            grade, first_defect, last_defect = choose_survey(rng, track, target, reassessed)
            case = {
                "id": case_id,
                "campaign_id": campaign.pk,
                "union_id": u["id"],
                "track": track,
                "stage": "survey",
                "returned_count": 0,
                "created_at": at,
                "updated_at": at,
            }
            common = {
                "case_id": case_id,
                "campaign_id": campaign.pk,
                "federation_id": u["federation_id"],
            }
            case_history.append(history_row(case, hist_id, at, "+", "Case opened", county))
            writer.append(
                "case", case_id, county, "create", "", "survey", at, history_id=hist_id, **common
            )
            hist_id += 1
            path = stage_path(target, rng.choice([0, 0, 0, 1, 2]), reassessed=reassessed)
            for step, (name, source, dest, who) in enumerate(path):
                at += timedelta(hours=rng.randint(1, 240))
                case["stage"] = dest
                case["updated_at"] = at
                if name == "return_survey":
                    case["returned_count"] += 1
                actor = (
                    county if who == "county" else (fed2.pk if name == "select_model" else fed.pk)
                )
                comment = "请补充会员评家材料" if name == "return_survey" else ""
                case_history.append(history_row(case, hist_id, at, "~", comment or name, actor))
                writer.append(
                    "case",
                    case_id,
                    actor,
                    name,
                    source,
                    dest,
                    at,
                    comment=comment,
                    history_id=hist_id,
                    **common,
                )
                hist_id += 1
                if name == "submit_survey":
                    data = surveys_of.get(grade, last_defect)[0]
                    inspections.evaluate(u["id"], data, at, county)
                if name in ("accept_survey", "reassess"):
                    following = path[step + 1][0] if step + 1 < len(path) else ""
                    defect = last_defect if name == "reassess" or not reassessed else first_defect
                    confirmed = inspections.assess(
                        case,
                        1 if name == "accept_survey" else 2,
                        u,
                        surveys_of.get(grade, defect),
                        at,
                        county,
                        settle=following == "submit_assessment",
                    )
                    for rule, when in confirmed:
                        writer.append(
                            "case",
                            case_id,
                            county,
                            "override",
                            dest,
                            dest,
                            when,
                            comment=SETTLED,
                            data={"rule": rule, "outcome": [rules.NEEDS_REVIEW, rules.MET]},
                            history_id=hist_id - 1,
                            **common,
                        )
            if (
                campaign.year >= CURRENT_YEAR - 1
                and case["stage"] != "survey"
                or (current and rng.random() < 0.5)
            ):
                survey = {
                    "id": survey_id,
                    "case_id": case_id,
                    "data": surveys_of.get(grade, last_defect)[1],
                    "updated_at": at,
                    "submitted_at": at if case["stage"] != "survey" else None,
                }
                surveys.append(survey)
                survey_history.append(
                    history_row(survey, survey_hist_id, at, "+", "Survey saved", county)
                )
                survey_id += 1
                survey_hist_id += 1
            if case["stage"] == "subsidy":
                amount = campaign.subsidy_amount(track)
                application = {
                    "id": subsidy_id,
                    "case_id": case_id,
                    "amount": amount,
                    "state": "draft",
                    "created_at": at,
                    "updated_at": at,
                }
                for kind, state, action, source in (
                    ("+", "draft", "create", ""),
                    ("~", "submitted", "submit", "draft"),
                ):
                    application["state"] = state
                    subsidy_history.append(
                        history_row(application, subsidy_hist_id, at, kind, action, county)
                    )
                    writer.append(
                        "subsidy",
                        subsidy_id,
                        county,
                        action,
                        source,
                        state,
                        at,
                        history_id=subsidy_hist_id,
                        data={"amount": str(amount)},
                        **common,
                    )
                    subsidy_hist_id += 1
                subsidies.append(application)
                subsidy_id += 1
            cases.append(case)
            case_id += 1
        with transaction.atomic():
            copier.copy(Case, cases)
            copier.copy(Case.history.model, case_history)
            copier.copy(Survey, surveys)
            copier.copy(Survey.history.model, survey_history)
            copier.copy(SubsidyApplication, subsidies)
            copier.copy(SubsidyApplication.history.model, subsidy_history)
            copier.copy(Event, writer.rows)
            copier.copy(ChainHead, writer.head_rows())
            inspected = inspections.copy(copier)
        event_id = writer.next_id
        tick(
            f"campaign {campaign.year}",
            len(cases) + len(case_history) + len(writer.rows) + len(surveys) * 2 + inspected,
            t,
        )

    t = time.monotonic()
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(
            no_style(),
            [
                Federation,
                Union,
                Case,
                Event,
                Survey,
                SubsidyApplication,
                *inspections.models.values(),
                Union.history.model,
                Case.history.model,
                Survey.history.model,
                SubsidyApplication.history.model,
                Federation.history.model,
            ],
        ):
            cursor.execute(statement)
        # VACUUM as autovacuum would have by then (it may be off on a benchmark server): without
        # it the visibility map is empty and every index-only scan reads the table too. Django's
        # connection is in autocommit here, as VACUUM needs.
        cursor.execute("VACUUM ANALYZE")
    tick("sequences, VACUUM ANALYZE", 0, t)
    history = sum(n for table, n in copier.counts.items() if "historical" in table)
    print(
        f"Done in {time.monotonic() - started:.0f} s: {len(unions):,} unions, "
        f"{copier.counts.get(Case._meta.db_table, 0):,} cases, {copier.counts.get(Event._meta.db_table, 0):,} events, "
        f"{history:,} history rows."
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="city")
    parser.add_argument("--unions", type=int)
    parser.add_argument("--campaigns", type=int)
    parser.add_argument("--federations", type=int)
    parser.add_argument("--db", help="database name (default bench_<size>)")
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the database")
    parser.add_argument("--seed", type=int, default=20220520)
    args = parser.parse_args()
    preset = SIZES[args.size]
    for key, value in preset.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    name = args.db or f"bench_{args.size}"

    created = ensure_database(name, fresh=args.fresh)
    env = {**os.environ, "DATABASE_URL": database_url(name)}
    env.pop("REDIS_URL", None)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    setup_django(name)
    from unions.models import Union

    if not created and Union.objects.count() == args.unions:
        print(f"{name}: already holds {args.unions:,} unions; reusing it (--fresh to regenerate).")
        return 0
    if Union.objects.exists():
        print(f"{name} holds other data; run with --fresh to regenerate it.", file=sys.stderr)
        return 2
    print(
        f"Generating {name}: {args.unions:,} unions, {args.federations} federations, {args.campaigns} campaigns"
    )
    generate(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())


# --- Shared by the benchmark scripts ------------------------------------------------------------


def use_database(size: str) -> str:
    """Generate ``bench_<size>`` if it is missing (or holds another size), then point Django at it."""
    subprocess.run([sys.executable, str(Path(__file__)), "--size", size], cwd=ROOT, check=True)
    name = f"bench_{size}"
    setup_django(name)
    return name


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def machine() -> str:
    """nproc, CPU model, RAM and the date, for RESULTS.md."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        kib = int(
            next(
                x
                for x in Path("/proc/meminfo").read_text().splitlines()
                if x.startswith("MemTotal")
            ).split()[1]
        )
        ram = f"{kib / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration, ValueError):
        ram = "unknown RAM"
    server = ""
    try:
        import psycopg

        with psycopg.connect(database_url("postgres")) as conn:
            server = conn.execute("SHOW server_version").fetchone()[0]
    except Exception:  # noqa: BLE001 - only a label
        server = "?"
    return (
        f"nproc {os.cpu_count()}, {cpu}, RAM {ram}, PostgreSQL {server}, Python {sys.version.split()[0]}, "
        f"{datetime.now(UTC).date().isoformat()}; load average {load()} (1/5/15 min) when written, "
        "which says whether other work shared the cores"
    )


def load() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def write_section(script: str, body: str) -> None:
    """Replace (or add) the section of ``script`` in bench/RESULTS.md, leaving the others."""
    path = ROOT / "bench" / "RESULTS.md"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    marker = f"## {script}"
    start = text.find(marker)
    section = body.rstrip() + "\n\n"
    if start == -1:
        text = text.rstrip() + "\n\n" + section
    else:
        end = text.find("\n## ", start + len(marker))
        text = text[:start] + section + (text[end + 1 :] if end != -1 else "")
    path.write_text(text.rstrip() + "\n", encoding="utf-8")
