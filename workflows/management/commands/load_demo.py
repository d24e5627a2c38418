"""Demo data for `make run`: the city's unions, a 2022 campaign with cases at every stage, and
one user per role. Everything after the bulk registry load goes through the real services, so
the demo has the same events, history and notifications as real use.

The whole load is one transaction: an interrupted load leaves nothing behind (so ``--if-empty``
can simply run again), and SQLite syncs to disk once instead of once per case."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from inspections.services import do_save_survey
from lib.demo_survey import full_survey
from unions import uscc
from unions.models import Federation, Role, Union, User
from unions.services import do_create_user
from workflows.models import Campaign, Case
from workflows.services import do_create_campaign, do_create_case, do_transition

DEMO_PASSWORD = "demo12345"  # noqa: S105 - printed for the newcomer; demo data only

DEMO_USERS = [
    # username, role, federation codes, display name
    ("fed", Role.FEDERATION_OFFICER, [], "市总组宣部 刘敏"),
    ("fed2", Role.FEDERATION_OFFICER, [], "市总组宣部 陈晨"),
    ("xunyang", Role.COUNTY_OFFICER, ["360403"], "浔阳区总工会 王磊"),
    ("wuning", Role.COUNTY_OFFICER, ["360423"], "武宁县总工会 孙伟"),
    ("leader", Role.LEADER, ["360403", "360402"], "市总领导 周华"),
    ("auditor", Role.AUDITOR, [], "审计 郑洁"),
]

PREFIXES = [
    "九江",
    "浔阳",
    "庐山",
    "长江",
    "鄱阳湖",
    "赣北",
    "柴桑",
    "修河",
    "湓浦",
    "甘棠",
    "琵琶",
    "匡庐",
    "八里湖",
    "白鹿",
    "石钟",
    "东林",
    "彭蠡",
    "龙开河",
    "南山",
    "西海",
]
INDUSTRIES = [
    "新材料",
    "纺织",
    "石化",
    "电子",
    "食品",
    "建材",
    "物流",
    "医药",
    "机械",
    "茶业",
    "水产",
    "文旅",
    "家具",
    "光伏",
    "汽车配件",
    "船舶",
    "粮油",
    "服装",
    "印务",
    "环保科技",
]
FORMS = ["有限公司", "股份有限公司", "有限责任公司", "集团有限公司", "合作社"]
INSTITUTIONS = [
    "人民医院",
    "第一中学",
    "实验小学",
    "自然资源局",
    "住建局",
    "税务局",
    "疾控中心",
    "图书馆",
    "博物馆",
]
SOCIAL = ["律师协会", "会计师事务所", "物业管理协会", "社会工作服务中心", "志愿者协会"]
TOWNS = [
    "白水湖街道",
    "湓浦街道",
    "人民路街道",
    "滨兴街道",
    "金鸡坡街道",
    "向阳街道",
    "甘棠街道",
    "沙河街道",
    "马回岭镇",
    "城子镇",
    "新塘乡",
    "石门街镇",
    "宋溪镇",
    "罗坪镇",
    "鲁溪镇",
    "船滩镇",
]
NEW_EMPLOYMENT = ["快递员", "网约车司机", "外卖骑手", "货车司机", "网络主播", "家政服务员"]


def _name(rng: random.Random, union_type: str, county: str, n: int) -> str:
    county_short = county.replace("总工会", "")
    if union_type == "enterprise":
        return f"{rng.choice(PREFIXES)}{rng.choice(INDUSTRIES)}{rng.choice(FORMS)}工会委员会（{n}）"
    if union_type == "institution":
        return f"{county_short}{rng.choice(INSTITUTIONS)}工会（{n}）"
    if union_type == "social_org":
        return f"{county_short}{rng.choice(SOCIAL)}工会（{n}）"
    if union_type == "township_street":
        return f"{county_short}{rng.choice(TOWNS)}总工会（{n}）"
    if union_type == "industrial_park":
        return (
            f"{county_short}{rng.choice(['经济开发区', '高新技术产业园', '工业园区'])}工会（{n}）"
        )
    if union_type == "county_industry_federation":
        return f"{county_short}{rng.choice(INDUSTRIES)}行业工会联合会（{n}）"
    if union_type == "regional_federation":
        return f"{county_short}{rng.choice(TOWNS)}{rng.choice(['商贸楼宇', '集贸市场', '小微企业'])}联合工会（{n}）"
    return f"{county_short}{rng.choice(NEW_EMPLOYMENT)}工会（{n}）"


TYPE_WEIGHTS = [
    ("enterprise", 55),
    ("institution", 15),
    ("social_org", 6),
    ("township_street", 7),
    ("industrial_park", 4),
    ("county_industry_federation", 4),
    ("regional_federation", 5),
    ("new_employment", 4),
]
OWNERSHIPS = [
    "state_owned",
    "collective",
    "state_controlled",
    "private",
    "private",
    "private",
    "foreign",
    "other",
]


class Command(BaseCommand):
    help = "Load the demo data (about 2,000 unions, a 2022 campaign with cases at every stage, one user per role)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when unions exist already"
        )
        parser.add_argument("--unions", type=int, default=2000)
        parser.add_argument("--seed", type=int, default=20220520)

    def handle(self, *args, **options):
        with transaction.atomic():
            self._load(options)

    def _load(self, options):
        if options["if_empty"] and Union.objects.exists():
            self.stdout.write("Demo data already loaded.")
            return
        rng = random.Random(options["seed"])  # noqa: S311 - demo data, not secrets
        users = self._users()
        unions = self._unions(rng, options["unions"])
        campaign = do_create_campaign(
            actor=users["fed"],
            data={
                "year": 2022,
                "title": "全市推进基层工会组织“六有六规范”建设",
                "reference_date": date(2022, 5, 20),
                "survey_deadline": date(2022, 9, 30),
                "summary_deadline": date(2022, 12, 15),
                "subsidy_six_haves": Decimal("5000.00"),
                "subsidy_six_norms": Decimal("10000.00"),
                "subsidy_budget": Decimal("300000.00"),
                "model_quota_per_county": 8,
            },
        )
        self._reporter(unions, users)
        self._cases(rng, campaign, unions, users)
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {len(unions)} unions, {Case.objects.filter(campaign=campaign).count()} cases."
            )
        )

    def _users(self) -> dict[str, User]:
        # One hash for every demo account: hashing is slow on purpose, and they share a password.
        self.encoded_password = make_password(DEMO_PASSWORD)
        users = {}
        for username, role, codes, name in DEMO_USERS:
            users[username] = User.objects.filter(username=username).first() or do_create_user(
                username=username,
                role=role,
                password=DEMO_PASSWORD,
                federation_codes=codes,
                display_name=name,
                encoded_password=self.encoded_password,
            )
        # One officer for each other federation; 360400's works the city-level (市直) unions.
        for federation in Federation.objects.exclude(code__in=["360403", "360423"]):
            username = f"county{federation.code}"
            if not User.objects.filter(username=username).exists():
                users[username] = do_create_user(
                    username=username,
                    role=Role.COUNTY_OFFICER,
                    password=DEMO_PASSWORD,
                    federation_codes=[federation.code],
                    display_name=f"{federation.name} 干事",
                    encoded_password=self.encoded_password,
                )
        return users

    def _unions(self, rng: random.Random, count: int) -> list[Union]:
        federations = list(Federation.objects.all())
        types, weights = zip(*TYPE_WEIGHTS, strict=True)
        rows = []
        for n in range(1, count + 1):
            federation = rng.choice(federations)
            union_type = rng.choices(types, weights)[0]
            # Founding dates spread around the five-year line of 2017-05-20.
            founded = date(2017, 5, 20) + timedelta(days=rng.randint(-9 * 365, 4 * 365))
            division = federation.code
            code = uscc.make(f"91{division}{rng.randint(0, 10**9 - 1):09d}".replace("I", "1"))
            rows.append(
                Union(
                    name=_name(rng, union_type, federation.name, n),
                    federation=federation,
                    union_type=union_type,
                    ownership=rng.choice(OWNERSHIPS) if union_type == "enterprise" else "",
                    park_level=rng.choice(["national", "provincial", "below_provincial"])
                    if union_type == "industrial_park"
                    else "",
                    founded_on=founded,
                    credit_code=code if union_type == "enterprise" else "",
                    address=f"江西省九江市{federation.name.replace('总工会', '')}{rng.choice(TOWNS)}{rng.randint(1, 300)}号",
                    contact_name=rng.choice(["张", "王", "李", "刘", "陈", "杨", "黄", "赵"])
                    + rng.choice(["伟", "芳", "娜", "敏", "静", "强", "磊", "军"]),
                    contact_phone=f"0792-{rng.randint(2000000, 8999999)}",
                )
            )
        return bulk_create_with_history(
            rows, Union, batch_size=500, default_change_reason="示范数据导入"
        )

    def _reporter(self, unions: list[Union], users: dict[str, User]) -> None:
        # An enterprise of 浔阳区 when there is one (any union in a very small load).
        union = next(
            (u for u in unions if u.federation.code == "360403" and u.union_type == "enterprise"),
            unions[0],
        )
        if not User.objects.filter(username="reporter").exists():
            users["reporter"] = do_create_user(
                username="reporter",
                role=Role.UNION_REPORTER,
                password=DEMO_PASSWORD,
                union_id=union.pk,
                display_name="基层工会填报员 李娜",
                encoded_password=self.encoded_password,
            )
        self.reporter_union = union

    def _officer_for(self, union: Union, users: dict[str, User]) -> User:
        code = union.federation.code
        if code == "360403":
            return users["xunyang"]
        if code == "360423":
            return users["wuning"]
        return User.objects.get(username=f"county{code}")

    def _cases(
        self, rng: random.Random, campaign: Campaign, unions: list[Union], users: dict[str, User]
    ) -> None:
        today = timezone.localdate()
        officers: dict[int, User] = {}
        plan = (
            ["survey"] * 55
            + ["survey_review"] * 12
            + ["assessment"] * 10
            + ["assessment_review"] * 6
            + ["guidance"] * 9
            + ["selection"] * 3
            + ["subsidy"] * 2
            + ["closed"] * 3
        )
        for union in unions:
            officer = officers.get(union.federation_id)
            if officer is None:
                officer = officers[union.federation_id] = self._officer_for(union, users)
            target = "survey" if union.pk == self.reporter_union.pk else rng.choice(plan)
            with transaction.atomic():
                case = do_create_case(actor=officer, campaign=campaign, union_id=union.pk)
                if target == "survey" and rng.random() < 0.6:
                    continue
                survey = full_survey(on=today)
                self._vary(rng, survey, union)
                do_save_survey(case, survey, actor=officer)
                if target == "survey":
                    continue
                self._walk(case, target, officer, users, rng)

    def _vary(self, rng: random.Random, survey: dict, union: Union) -> None:
        members = rng.choice([12, 18, 24, 25, 40, 80, 150, 300, 800])
        survey["members"] = members
        survey["employees"] = members + rng.randint(0, members // 3 + 1)
        survey["women_employees"] = min(survey["employees"], rng.randint(0, survey["employees"]))
        survey["women_members"] = min(members, survey["women_employees"])
        total = min(members, 285)
        sat = rng.randint(total // 3, total)
        basic = rng.randint(0, total - sat)
        survey["member_evaluation"].update(
            satisfied=sat, basically_satisfied=basic, unsatisfied=total - sat - basic
        )
        if rng.random() < 0.3:
            survey["home"]["library"] = False
        if rng.random() < 0.2:
            survey["volunteer_team"] = rng.random() < 0.5

    def _walk(
        self, case: Case, target: str, officer: User, users: dict[str, User], rng: random.Random
    ) -> None:
        fed, fed2 = users["fed"], users["fed2"]
        steps = [
            ("submit_survey", officer, "survey_review"),
            ("accept_survey", officer, "assessment"),
        ]
        for name, actor, stage in steps:
            do_transition(case.pk, name, actor=actor, comment="")
            if stage == target:
                return
        self._settle_reviews(case, officer)
        do_transition(case.pk, "submit_assessment", actor=officer)
        if target == "assessment_review":
            return
        do_transition(case.pk, "approve_assessment", actor=fed)
        if target == "guidance":
            return
        case.refresh_from_db()
        from inspections.services import assessment_summary

        summary = assessment_summary(case)
        if not summary or not summary.meets_standard:
            return  # stays in guidance: it does not meet its standard yet
        if target == "closed" and rng.random() < 0.5:
            do_transition(case.pk, "close", actor=fed, comment="达标，本年度不推荐示范")
            return
        from lib.errors import Conflict

        try:
            do_transition(case.pk, "recommend_model", actor=officer, comment="建议推荐为示范工会")
        except Conflict:
            return  # the county's quota of model unions is used up: it stays in guidance
        if target == "selection":
            return

        try:
            do_transition(case.pk, "select_model", actor=fed2, comment="")
        except Conflict:
            return
        if target == "subsidy":
            return
        from subsidies.services import do_create_subsidy, do_subsidy_transition

        application = do_create_subsidy(case.pk, actor=officer)
        do_subsidy_transition(application.pk, "submit", actor=officer)
        try:
            do_subsidy_transition(application.pk, "sign_off", actor=users["leader"])
            do_subsidy_transition(application.pk, "disburse", actor=fed)
        except Conflict:
            do_subsidy_transition(
                application.pk, "reject", actor=users["leader"], comment="预算已用完"
            )
        do_transition(case.pk, "close", actor=fed)

    def _settle_reviews(self, case: Case, officer: User) -> None:
        from inspections.services import do_override_finding, rules_needing_review

        for rule in rules_needing_review(case):
            do_override_finding(case.pk, rule, "met", "已现场核实，符合要求", actor=officer)
