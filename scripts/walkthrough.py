#!/usr/bin/env python3
"""Walk one union from survey to closed through the HTTP API of a running server (API.md).

    .venv/bin/python scripts/walkthrough.py http://127.0.0.1:8000 [--password demo12345]

Plain HTTP calls only (``urllib``), logged in by token as the demo users of ``load_demo``
(``fed``, ``fed2``, ``xunyang``, ``wuning``, ``leader``, ``auditor``, ``reporter``). It opens a
campaign of its own (the next free year, so model-union quotas and budgets of the demo do not
interfere; ``--campaign ID`` uses an existing one), registers a fresh union in 浔阳区 as the county
officer, opens its case, fills the survey, and fires every case transition of API.md with the
right role, plus the subsidy's submit, sign-off (leader) and disbursement (federation officer).
Before each step it checks that every other role gets 403, the 武宁县 county officer and a
reporter of another union get 404, and that the step is offered to the right role. One line per
check; the exit status is 1 if any check failed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lib.demo_survey import full_survey  # noqa: E402 - plain data, no Django needed

FED, FED2 = "fed", "fed2"  # federation officers
COUNTY = "xunyang"  # county officer of 浔阳区, where the walk's union is registered
OUTSIDER = "wuning"  # county officer of 武宁县: the case is outside their scope
LEADER = "leader"  # linked to 浔阳区
AUDITOR = "auditor"
REPORTER = "reporter"  # reporter of a demo union, not of the walk's union
USERS = (FED, FED2, COUNTY, OUTSIDER, LEADER, AUDITOR, REPORTER)
XUNYANG = "360403"


class Failed(Exception):
    """A check that the rest of the walk depends on failed."""


class Client:
    def __init__(self, base_url: str, timeout: float = 30.0):
        self.base = base_url.rstrip("/")
        self.timeout = timeout
        self.tokens: dict[str, str] = {}
        # A server on this machine is reached directly, whatever proxy the environment names.
        loopback = urllib.parse.urlsplit(self.base).hostname in {"127.0.0.1", "localhost", "::1"}
        handlers = [urllib.request.ProxyHandler({})] if loopback else []
        self.opener = urllib.request.build_opener(*handlers)

    def call(
        self, method: str, path: str, user: str | None = None, body: Any = None
    ) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)  # noqa: S310 - the URL is the server under test
        request.add_header("Accept", "application/json")
        request.add_header("Accept-Language", "en")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if user is not None:
            request.add_header("Authorization", f"Token {self.tokens[user]}")
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = raw.decode(errors="replace")
        return status, payload

    def login(self, username: str, password: str) -> None:
        status, body = self.call(
            "POST", "/api/v1/auth/token/", body={"username": username, "password": password}
        )
        if status != 200 or not isinstance(body, dict) or "token" not in body:
            raise Failed(f"cannot log in as {username}: {status} {body}")
        self.tokens[username] = body["token"]


class Walk:
    def __init__(self, client: Client):
        self.api = client
        self.passed = 0
        self.failed = 0

    # --- reporting -------------------------------------------------------------------------

    def check(self, ok: bool, what: str, detail: Any = "") -> bool:
        if ok:
            self.passed += 1
            print(f"ok    {what}")
        else:
            self.failed += 1
            detail = str(detail)
            print(f"FAIL  {what}: {detail[:500]}{' …' if len(detail) > 500 else ''}")
        return ok

    def expect(
        self, status: int, method: str, path: str, user: str | None, body: Any = None, *, what: str
    ) -> Any:
        got, payload = self.api.call(method, path, user, body)
        label = f"{status} {user or 'anonymous':9} {method} {path} {what}".rstrip()
        if not self.check(got == status, label, f"got {got} {payload}"):
            raise Failed(label)
        return payload

    # --- case transitions ---------------------------------------------------------------------

    def refused(
        self,
        path: str,
        wrong_roles: tuple[str, ...],
        outsiders: tuple[str, ...],
        body: Any,
        what: str,
    ) -> None:
        for user in wrong_roles:
            payload = self.expect(403, "POST", path, user, body, what=f"{what} (wrong role)")
            self.check(
                payload == {"detail": "Your role may not do this."},
                f"    403 body names the role ({user})",
                payload,
            )
        for user in outsiders:
            payload = self.expect(404, "POST", path, user, body, what=f"{what} (out of scope)")
            self.check(
                payload == {"detail": "Not found."}, f"    404 body tells nothing ({user})", payload
            )

    def offered(self, case_id: int, name: str, user: str) -> None:
        case = self.expect(200, "GET", f"/api/v1/cases/{case_id}/", user, what="read the case")
        offers = {t["name"]: t for t in case["available_transitions"]}
        self.check(
            name in offers and offers[name]["allowed"],
            f"    {name} is offered to {user}",
            offers.get(name),
        )

    def fire(
        self,
        case_id: int,
        name: str,
        user: str,
        target: str,
        *,
        comment: str = "",
        wrong_roles: tuple[str, ...] = (),
        outsiders: tuple[str, ...] = (OUTSIDER, REPORTER),
    ) -> dict:
        path = f"/api/v1/cases/{case_id}/transitions/{name}/"
        body = {"comment": comment} if comment else {}
        self.refused(path, wrong_roles, outsiders, body, name)
        self.offered(case_id, name, user)
        case = self.expect(200, "POST", path, user, body, what=name)
        if not self.check(
            case["stage"] == target, f"    {name} moved the case to {target}", case["stage"]
        ):
            raise Failed(name)
        return case

    def conflict(self, case_id: int, name: str, user: str, what: str, comment: str = "") -> None:
        body = {"comment": comment} if comment else {}
        payload = self.expect(
            409, "POST", f"/api/v1/cases/{case_id}/transitions/{name}/", user, body, what=what
        )
        self.check(
            isinstance(payload, dict)
            and set(payload) == {"detail", "reason"}
            and bool(payload["reason"]),
            f"    409 says why: {payload.get('reason') if isinstance(payload, dict) else payload}",
            payload,
        )

    # --- the walk -----------------------------------------------------------------------------

    def run(self, campaign_id: int | None) -> None:
        today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
        self.expect(401, "GET", "/api/v1/cases/", None, what="no credentials")
        campaign_id = campaign_id or self.open_campaign(today)
        union = self.register_union()
        case = self.open_case(campaign_id, union["id"])
        cid = case["id"]
        self.check(case["stage"] == "survey", "    the case starts at survey", case)

        self.fill_survey(cid, today)
        self.conflict(cid, "approve_assessment", FED, "approve_assessment at survey (wrong stage)")
        self.fire(cid, "submit_survey", COUNTY, "survey_review", wrong_roles=(FED, LEADER, AUDITOR))
        self.expect(
            400,
            "POST",
            f"/api/v1/cases/{cid}/transitions/return_survey/",
            COUNTY,
            {},
            what="return_survey without a comment",
        )
        self.fire(
            cid,
            "return_survey",
            COUNTY,
            "survey",
            comment="女职工人数请再核对",
            wrong_roles=(FED, LEADER, AUDITOR),
        )
        self.fire(cid, "submit_survey", COUNTY, "survey_review", comment="已核对")
        self.fire(cid, "accept_survey", COUNTY, "assessment", wrong_roles=(FED, LEADER, AUDITOR))

        self.settle_findings(cid)
        self.fire(
            cid,
            "submit_assessment",
            COUNTY,
            "assessment_review",
            wrong_roles=(FED, LEADER, AUDITOR),
        )
        self.fire(
            cid,
            "return_assessment",
            FED,
            "assessment",
            comment="请补充工会经费审查情况",
            wrong_roles=(COUNTY, LEADER, AUDITOR),
        )
        self.fire(cid, "submit_assessment", COUNTY, "assessment_review", comment="已补充")
        self.fire(cid, "approve_assessment", FED, "guidance", wrong_roles=(COUNTY, LEADER, AUDITOR))

        self.fire(cid, "reassess", COUNTY, "assessment", wrong_roles=(FED, LEADER, AUDITOR))
        self.settle_findings(cid)
        self.fire(cid, "submit_assessment", COUNTY, "assessment_review")
        self.fire(cid, "approve_assessment", FED2, "guidance")
        assessment = self.expect(
            200, "GET", f"/api/v1/cases/{cid}/assessment/", AUDITOR, what="read the assessment"
        )
        self.check(
            assessment["meets_standard"] is True,
            "    the union meets its standard",
            assessment.get("score"),
        )

        self.fire(
            cid,
            "recommend_model",
            COUNTY,
            "selection",
            comment="推荐为示范工会",
            wrong_roles=(FED, LEADER, AUDITOR),
        )
        self.fire(
            cid,
            "decline_model",
            FED,
            "guidance",
            comment="材料不全，暂缓",
            wrong_roles=(COUNTY, LEADER, AUDITOR),
        )
        self.fire(cid, "recommend_model", COUNTY, "selection", comment="材料已补齐")
        self.fire(cid, "select_model", FED, "subsidy", wrong_roles=(COUNTY, LEADER, AUDITOR))

        self.conflict(cid, "close", FED, "close before the subsidy is settled")
        self.subsidy(cid)
        self.fire(
            cid,
            "close",
            FED,
            "closed",
            comment="补助已拨付，结案",
            wrong_roles=(COUNTY, LEADER, AUDITOR),
        )
        self.history(cid)

    def open_campaign(self, today: date) -> int:
        listed = self.expect(200, "GET", "/api/v1/campaigns/", FED, what="list campaigns")
        years = [c["year"] for c in listed["results"]]
        year = max([*years, today.year - 1]) + 1
        body = {
            "year": year,
            "title": f"{year} 接口走查",
            "reference_date": f"{year}-01-01",
            "survey_deadline": (today + timedelta(days=30)).isoformat(),
            "summary_deadline": (today + timedelta(days=60)).isoformat(),
            "subsidy_amounts": {"six_haves": "5000.00", "six_norms": "10000.00"},
            "subsidy_budget": "100000.00",
        }
        self.expect(
            403, "POST", "/api/v1/campaigns/", COUNTY, body, what="open a campaign (wrong role)"
        )
        campaign = self.expect(
            201, "POST", "/api/v1/campaigns/", FED, body, what=f"open campaign {year}"
        )
        self.check(
            campaign["subsidy_amounts"] == {"six_haves": "5000.00", "six_norms": "10000.00"},
            "    money comes back as decimal strings",
            campaign["subsidy_amounts"],
        )
        return campaign["id"]

    def register_union(self) -> dict:
        stamp = datetime.now().strftime("%Y%m%d%H%M%S%f")  # noqa: DTZ005 - only makes the name unique
        body = {
            "name": f"九江走查电子有限公司工会（{stamp}）",
            "federation": XUNYANG,
            "union_type": "enterprise",
            "ownership": "private",
            "founded_on": "2012-03-01",
        }
        self.expect(
            400,
            "POST",
            "/api/v1/unions/",
            COUNTY,
            {**body, "federation": "360423"},
            what="register a union in another county",
        )
        return self.expect(201, "POST", "/api/v1/unions/", COUNTY, body, what="register a union")

    def open_case(self, campaign_id: int, union_id: int) -> dict:
        body = {"campaign": campaign_id, "union": union_id}
        self.expect(
            400,
            "POST",
            "/api/v1/cases/",
            OUTSIDER,
            body,
            what="open a case for another county's union",
        )
        self.expect(403, "POST", "/api/v1/cases/", LEADER, body, what="open a case (wrong role)")
        case = self.expect(201, "POST", "/api/v1/cases/", COUNTY, body, what="open the case")
        self.expect(
            400, "POST", "/api/v1/cases/", COUNTY, body, what="a second case for the same union"
        )
        self.expect(
            404,
            "GET",
            f"/api/v1/cases/{case['id']}/",
            OUTSIDER,
            what="read the case (out of scope)",
        )
        return case

    def fill_survey(self, cid: int, today: date) -> None:
        path = f"/api/v1/cases/{cid}/survey/"
        survey = full_survey(on=today)
        self.conflict(cid, "submit_survey", COUNTY, "submit an empty survey")
        bad = {**survey, "members": -3}
        errors = self.expect(
            400, "PUT", path, COUNTY, bad, what="a survey with a negative member count"
        )
        self.check("members" in (errors or {}).get("errors", {}), "    400 names the field", errors)
        self.expect(403, "PUT", path, FED, survey, what="fill the survey (wrong role)")
        self.expect(404, "PUT", path, OUTSIDER, survey, what="fill the survey (out of scope)")
        self.expect(
            404, "PUT", path, REPORTER, survey, what="fill the survey (another union's reporter)"
        )
        self.expect(200, "PUT", path, COUNTY, survey, what="fill the survey")
        stored = self.expect(200, "GET", path, COUNTY, what="read the survey back")
        self.check(
            stored.get("members") == survey["members"],
            "    the survey was stored",
            stored.get("members"),
        )

    def settle_findings(self, cid: int) -> None:
        assessment = self.expect(
            200, "GET", f"/api/v1/cases/{cid}/assessment/", COUNTY, what="read the assessment"
        )
        pending = [f["rule"] for f in assessment["findings"] if f["outcome"] == "needs_review"]
        path = f"/api/v1/cases/{cid}/assessment/overrides/"
        for rule in pending:
            body = {"rule": rule, "outcome": "met", "reason": "已现场核实"}
            self.expect(
                400,
                "POST",
                path,
                COUNTY,
                {**body, "reason": ""},
                what=f"override {rule} without a reason",
            )
            self.expect(403, "POST", path, FED, body, what=f"override {rule} (wrong role)")
            self.expect(404, "POST", path, OUTSIDER, body, what=f"override {rule} (out of scope)")
            self.expect(201, "POST", path, COUNTY, body, what=f"override {rule}")
        self.check(True, f"    {len(pending)} finding(s) needed review")

    def subsidy(self, cid: int) -> None:
        self.expect(
            403,
            "POST",
            "/api/v1/subsidies/",
            FED,
            {"case": cid},
            what="apply for the subsidy (wrong role)",
        )
        application = self.expect(
            201, "POST", "/api/v1/subsidies/", COUNTY, {"case": cid}, what="apply for the subsidy"
        )
        self.check(
            application["amount"] == "10000.00" and application["state"] == "draft",
            "    the amount is the campaign's six_norms amount",
            application,
        )
        sid = application["id"]
        steps = [
            ("submit", COUNTY, "submitted", (FED, LEADER, AUDITOR)),
            ("sign_off", LEADER, "signed_off", (COUNTY, FED, AUDITOR)),
            ("disburse", FED, "disbursed", (COUNTY, LEADER, AUDITOR)),
        ]
        for name, user, target, wrong in steps:
            path = f"/api/v1/subsidies/{sid}/transitions/{name}/"
            self.refused(path, wrong, (OUTSIDER, REPORTER), {}, f"subsidy {name}")
            result = self.expect(200, "POST", path, user, {}, what=f"subsidy {name}")
            if not self.check(
                result["state"] == target, f"    the subsidy is {target}", result["state"]
            ):
                raise Failed(name)
        self.expect(
            409,
            "POST",
            f"/api/v1/subsidies/{sid}/transitions/sign_off/",
            LEADER,
            {},
            what="sign off a disbursed subsidy (wrong state)",
        )

    def history(self, cid: int) -> None:
        self.expect(
            404,
            "GET",
            f"/api/v1/cases/{cid}/history/",
            OUTSIDER,
            what="read the history (out of scope)",
        )
        entries = self.expect(
            200, "GET", f"/api/v1/cases/{cid}/history/", AUDITOR, what="read the history"
        )
        moves = [
            e["action"]
            for e in entries
            if e["from"] and e["from"] != e["to"] and "." not in e["action"]
        ]
        expected = [
            "submit_survey",
            "return_survey",
            "submit_survey",
            "accept_survey",
            "submit_assessment",
            "return_assessment",
            "submit_assessment",
            "approve_assessment",
            "reassess",
            "submit_assessment",
            "approve_assessment",
            "recommend_model",
            "decline_model",
            "recommend_model",
            "select_model",
            "close",
        ]
        self.check(moves == expected, "    the history holds every transition, oldest first", moves)
        at = [e["at"] for e in entries]
        self.check(at == sorted(at), "    the history is oldest first", at)
        self.check(
            all(e["actor"] for e in entries if e["action"] in expected),
            "    every step names its actor",
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base_url", help="e.g. http://127.0.0.1:8000")
    parser.add_argument("--password", default="demo12345", help="the demo users' password")
    parser.add_argument("--campaign", type=int, help="use this campaign instead of opening one")
    parser.add_argument("--timeout", type=float, default=30.0)
    args = parser.parse_args(argv)

    client = Client(args.base_url, timeout=args.timeout)
    walk = Walk(client)
    started = time.monotonic()
    try:
        for username in USERS:
            client.login(username, args.password)
        walk.check(True, f"logged in as {', '.join(USERS)}")
        walk.run(args.campaign)
    except Failed as exc:
        walk.failed = walk.failed or 1  # a failed login counts too
        print(f"stopped: {exc}")
    except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
        walk.check(False, f"reach {args.base_url}", exc)
    print(
        f"{walk.passed} checks passed, {walk.failed} failed in {time.monotonic() - started:.1f} s"
    )
    return 1 if walk.failed or not walk.passed else 0


if __name__ == "__main__":
    sys.exit(main())
