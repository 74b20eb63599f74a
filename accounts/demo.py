"""Deterministic demo and benchmark data for customer accounts."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from simple_history.utils import bulk_create_with_history

from .models import Account, AccountStatus, IcpFit, Industry

ZH_PLACES = [
    "华东",
    "华南",
    "京华",
    "申城",
    "江南",
    "西部",
    "中原",
    "海峡",
    "珠江",
    "长江",
    "东方",
    "北辰",
    "天府",
    "齐鲁",
    "湘楚",
    "闽江",
    "黄河",
    "燕山",
]
ZH_WORDS = {
    Industry.MANUFACTURING: ["精密机械", "智能装备", "汽车零部件", "新材料", "电子制造", "模具"],
    Industry.RETAIL: ["优选商贸", "连锁超市", "鲜生零售", "品牌服饰", "日化用品"],
    Industry.INTERNET: ["云智科技", "数联网络", "信息技术", "软件", "数据科技"],
    Industry.FINANCE: ["融资租赁", "保险经纪", "财富管理", "小额贷款", "证券服务"],
    Industry.EDUCATION: ["教育科技", "职业培训", "语言学校", "在线学院"],
    Industry.HEALTHCARE: ["医疗器械", "生物医药", "健康管理", "连锁药房"],
    Industry.LOGISTICS: ["供应链", "物流", "冷链运输", "快运"],
    Industry.REAL_ESTATE: ["置业", "建设工程", "物业服务", "装饰工程"],
    Industry.PROFESSIONAL_SERVICES: ["咨询", "人力资源", "会计师事务所", "律师事务所", "广告传媒"],
    Industry.ENERGY: ["新能源", "光伏科技", "燃气", "电力工程"],
    Industry.PUBLIC_SECTOR: ["政务服务中心", "公共资源交易中心", "城市建设投资"],
    Industry.OTHER: ["实业", "控股", "文化发展"],
}
ZH_SUFFIXES = ["有限公司", "股份有限公司", "集团有限公司", "科技有限公司"]
EN_PREFIXES = [
    "Northwind",
    "Bluepeak",
    "Silverline",
    "Redwood",
    "Harbor",
    "Summit",
    "Brightwater",
    "Ironbridge",
    "Oakridge",
    "Lumen",
    "Cobalt",
    "Meridian",
    "Evergreen",
    "Granite",
    "Aurora",
    "Pioneer",
    "Crescent",
    "Atlas",
]
EN_WORDS = {
    Industry.MANUFACTURING: ["Precision", "Machinery", "Components", "Robotics"],
    Industry.RETAIL: ["Retail", "Outfitters", "Markets", "Brands"],
    Industry.INTERNET: ["Software", "Cloud", "Digital", "Data Labs"],
    Industry.FINANCE: ["Capital", "Insurance", "Wealth", "Credit"],
    Industry.EDUCATION: ["Learning", "Academy", "Education"],
    Industry.HEALTHCARE: ["Health", "Medical", "Biotech", "Pharma"],
    Industry.LOGISTICS: ["Logistics", "Freight", "Supply Chain"],
    Industry.REAL_ESTATE: ["Properties", "Construction", "Realty"],
    Industry.PROFESSIONAL_SERVICES: ["Consulting", "Partners", "Advisory", "Media"],
    Industry.ENERGY: ["Energy", "Solar", "Power"],
    Industry.PUBLIC_SECTOR: ["Public Services", "Civic Works"],
    Industry.OTHER: ["Holdings", "Group", "Ventures"],
}
EN_SUFFIXES = ["Ltd", "Inc.", "Co.", "Group", "GmbH", "Pte Ltd"]

# Share of accounts per ARR band (in CNY); the bands straddle the default segments.
ARR_BANDS: Sequence[tuple[float, int, int]] = (
    (0.10, 350_000, 2_000_000),
    (0.30, 70_000, 350_000),
    (0.40, 14_000, 70_000),
    (0.20, 3_000, 14_000),
)


def company_name(rng: random.Random, industry: str) -> str:
    if rng.random() < 0.6:
        return f"{rng.choice(ZH_PLACES)}{rng.choice(ZH_WORDS[Industry(industry)])}{rng.choice(ZH_SUFFIXES)}"
    return f"{rng.choice(EN_PREFIXES)} {rng.choice(EN_WORDS[Industry(industry)])} {rng.choice(EN_SUFFIXES)}"


def random_arr(rng: random.Random) -> Decimal:
    roll, cumulative = rng.random(), 0.0
    for share, low, high in ARR_BANDS:
        cumulative += share
        if roll <= cumulative:
            return Decimal(rng.randrange(low, high, 500))
    return Decimal(ARR_BANDS[-1][1])


def generate_accounts(
    *,
    rng: random.Random,
    count: int,
    owners_by_industry: dict[str, list[Any]],
    fallback_owners: Sequence[Any],
    today: date,
    external_id_prefix: str = "CRM",
) -> Iterator[Account]:
    """Unsaved accounts: realistic names, every segment and industry, dated around today."""
    industries = list(Industry.values)
    for number in range(1, count + 1):
        industry = industries[(number - 1) % len(industries)] if number <= len(industries) else rng.choice(industries)
        candidates = owners_by_industry.get(industry) or list(fallback_owners)
        owner = rng.choice(candidates) if candidates and rng.random() > 0.03 else None
        go_live = today + timedelta(days=rng.randint(-3 * 365, 45))
        days_live = (today - go_live).days
        if days_live < 30:
            status = AccountStatus.ONBOARDING
        elif rng.random() < 0.06:
            status = AccountStatus.CHURNED
        else:
            status = AccountStatus.ACTIVE
        yield Account(
            name=company_name(rng, industry),
            external_id=f"{external_id_prefix}-{number:06d}",
            industry=industry,
            arr=random_arr(rng),
            icp_fit=IcpFit.TARGET if rng.random() < 0.75 else IcpFit.EXPLORATORY,
            owner=owner,
            go_live_date=go_live,
            status=status,
        )


def present() -> bool:
    return Account.objects.exists()


def reset() -> None:
    Account.objects.all().delete()
    Account.history.all().delete()


def seed(ctx: Any) -> None:
    """Demo accounts, owned by the CSMs specialised in each account's industry."""
    everyone = list(ctx.users.values())
    csms = [user for users in ctx.owners_by_industry.values() for user in users]
    rows = list(
        generate_accounts(
            rng=ctx.rng,
            count=ctx.accounts,
            owners_by_industry=ctx.owners_by_industry,
            fallback_owners=csms or everyone,
            today=ctx.today,
        )
    )
    bulk_create_with_history(rows, Account, batch_size=1000, default_user=ctx.users.get("admin"))
    ctx.shared["accounts"] = list(Account.objects.select_related("owner").order_by("pk"))
    stakeholders, touchpoints = seed_people_and_timeline(ctx, ctx.shared["accounts"])
    ctx.summary.append(f"{len(rows)} customer accounts, {stakeholders} stakeholders, {touchpoints} touchpoints")


ZH_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
ZH_GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "建华",
    "志强",
    "晓东",
]
EN_FIRST = ["James", "Emily", "Michael", "Sophia", "David", "Olivia", "Daniel", "Grace", "Lucas", "Hannah"]
EN_LAST = ["Smith", "Chen", "Miller", "Wong", "Taylor", "Lee", "Brown", "Martin", "Walker", "Young"]
TITLES = {
    "S": [("CEO", "总经理"), ("VP Sales", "销售副总裁"), ("COO", "运营副总裁")],
    "A": [("Sales Director", "销售总监"), ("IT Director", "信息化总监"), ("Head of Operations", "运营部负责人")],
    "B": [
        ("Sales Manager", "销售经理"),
        ("System Admin", "系统管理员"),
        ("Key User", "关键用户"),
        ("Analyst", "业务分析员"),
    ],
}
TOUCHPOINT_TITLES = {
    "call": ("Check-in call", "电话回访"),
    "visit": ("On-site visit", "上门拜访"),
    "email": ("Follow-up email", "邮件跟进"),
    "meeting": ("Usage review meeting", "使用情况复盘会"),
    "training": ("User training", "用户培训"),
    "value_report": ("Quarterly value report", "季度价值汇报"),
    "note": ("Internal note", "内部备注"),
}


def _person_name(rng: random.Random, chinese: bool) -> str:
    if chinese:
        return rng.choice(ZH_SURNAMES) + rng.choice(ZH_GIVEN)
    return f"{rng.choice(EN_FIRST)} {rng.choice(EN_LAST)}"


def seed_people_and_timeline(ctx: Any, accounts: list[Account]) -> tuple[int, int]:
    """Stakeholders (S/A/B mix, some left) and six months of touchpoints per account."""
    from django.utils import timezone

    from .models import KeyPersonLevel, RelationshipStage, Stakeholder, TimelineEntry, TouchpointKind

    rng = ctx.rng
    people: list[Stakeholder] = []
    for account in accounts:
        chinese = not account.name.isascii()
        count = rng.randint(3, 8)
        tiers = ["S"] + ["A"] * rng.randint(1, 2) + ["B"] * max(count - 3, 1)
        for index, tier in enumerate(tiers):
            title_en, title_zh = rng.choice(TITLES[tier])
            left = rng.random() < 0.05
            people.append(
                Stakeholder(
                    account=account,
                    name=_person_name(rng, chinese),
                    title=title_zh if chinese else title_en,
                    tier=tier,
                    key_level=KeyPersonLevel.DECISION_MAKER
                    if index == 0
                    else (KeyPersonLevel.DAY_TO_DAY if index == 1 else KeyPersonLevel.NONE),
                    relationship=rng.choice(RelationshipStage.values),
                    email=f"contact{account.pk}.{index}@example.com",
                    is_active=not left,
                    left_on=ctx.today - timedelta(days=rng.randint(5, 120)) if left else None,
                )
            )
    Stakeholder.objects.bulk_create(people, batch_size=2000)
    by_account: dict[int, list[Stakeholder]] = {}
    for person in Stakeholder.objects.filter(account__in=accounts, is_active=True).order_by("pk"):
        by_account.setdefault(person.account_id, []).append(person)

    kinds = TouchpointKind.values
    weights = [30, 8, 20, 15, 8, 6, 13]
    entries: list[TimelineEntry] = []
    links: list[tuple[int, list[Stakeholder]]] = []
    now = timezone.now()
    for account in accounts:
        chinese = not account.name.isascii()
        for _ in range(rng.randint(0, 12)):
            kind = rng.choices(kinds, weights)[0]
            title_en, title_zh = TOUCHPOINT_TITLES[kind]
            entries.append(
                TimelineEntry(
                    account=account,
                    is_touchpoint=True,
                    kind=kind,
                    title=title_zh if chinese else title_en,
                    occurred_at=now - timedelta(days=rng.randint(0, 182), minutes=rng.randint(0, 600)),
                    duration_minutes=rng.choice([15, 30, 45, 60, 90, 120]),
                    actor=account.owner,
                )
            )
            present_people = by_account.get(account.pk, [])
            links.append((len(entries) - 1, rng.sample(present_people, k=min(len(present_people), rng.randint(0, 2)))))
    TimelineEntry.objects.bulk_create(entries, batch_size=2000)
    through = TimelineEntry.stakeholders.through
    through.objects.bulk_create(
        [
            through(timelineentry_id=entries[index].pk, stakeholder_id=person.pk)
            for index, group in links
            for person in group
        ],
        batch_size=5000,
    )
    return len(people), len(entries)
