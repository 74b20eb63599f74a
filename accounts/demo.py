"""Deterministic demo and benchmark data for customer accounts."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
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
    seed_dossiers(ctx, ctx.shared["accounts"])
    ctx.shared["accounts"] = list(Account.objects.select_related("owner").order_by("pk"))
    reviews = seed_reviews(ctx, ctx.shared["accounts"])
    ctx.summary.append(
        f"{len(rows)} customer accounts with dossiers, {stakeholders} stakeholders, {touchpoints} touchpoints, "
        f"{reviews} dossier reviews"
    )


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


DOSSIER_TEXT = {
    "company_overview": (
        "Founded in 2008, about 800 employees across 5 branches. Growing 20% a year; IPO planned within three years.",
        "成立于2008年，员工约800人，5个分支机构。年增长约20%，计划三年内上市。公司重视数字化，老板亲自推动项目。",
    ),
    "org_structure": (
        "CEO → COO → Sales (3 regional teams), Operations, IT (6 people). Purchasing reports to the CFO.",
        "总经理下设运营副总裁；销售部分三个大区，运营部、信息化部（6人）。采购部向财务总监汇报。",
    ),
    "purchase_goals": (
        "Make every sales opportunity visible to management; cut monthly reporting from 3 days to half a day.",
        "让管理层实时看到所有销售商机；把月度报表从3天缩短到半天。成功标准：销售团队全员每天使用。",
    ),
    "work_goals": (
        "The COO is measured on gross margin this year; the IT director must retire two legacy systems.",
        "运营副总裁今年的考核重点是毛利率；信息化总监需要下线两套老系统，压力较大。",
    ),
    "internal_politics": (
        "The sales director preferred a competitor; the COO chose us. Keep the sales director close.",
        "销售总监当初倾向竞品，运营副总裁拍板选了我们。需要主动争取销售总监的认可。",
    ),
}


@dataclass
class _DossierRows:
    sections: list[Any] = field(default_factory=list)
    products: list[Any] = field(default_factory=list)
    promises: list[Any] = field(default_factory=list)
    processes: list[Any] = field(default_factory=list)
    events: list[Any] = field(default_factory=list)


def _dossier_rows(ctx: Any, account: Account, rows: _DossierRows, now: datetime) -> None:
    """One account's dossier, as deep as a random draw says (0 = empty, 1 = thorough)."""
    from .models import CustomerProcess, DossierSection, MajorEvent, ProcessKind, PurchasedProduct, SalesPromise

    rng = ctx.rng
    chinese = not account.name.isascii()
    depth = rng.random()  # 0 = empty dossier, 1 = thorough
    updated = now - timedelta(days=rng.randint(1, 160))
    for key, texts in DOSSIER_TEXT.items():
        if rng.random() < depth:
            text = texts[1] if chinese else texts[0]
            rows.sections.append(
                DossierSection(
                    account=account,
                    key=key,
                    content=text if rng.random() < 0.8 else text[:30],
                    version=1,
                    updated_at=updated,
                    updated_by=account.owner,
                )
            )
    if rng.random() < depth:
        rows.products.append(
            PurchasedProduct(
                account=account,
                product="Hourglass CRM",
                modules="Sales, Service",
                seats=rng.choice([20, 50, 120, 300]) if rng.random() < 0.8 else None,
                start_date=account.go_live_date,
            )
        )
    if rng.random() < depth:
        rows.promises.append(
            SalesPromise(
                account=account,
                promise="ERP integration by next quarter" if not chinese else "下季度前完成与ERP的对接",
                due_date=ctx.today + timedelta(days=rng.randint(-60, 90)),
                status=rng.choice(["open", "open", "fulfilled", "broken"]),
            )
        )
    for kind in ProcessKind.values:
        if rng.random() < depth * 0.8:
            rows.processes.append(
                CustomerProcess(
                    account=account,
                    kind=kind,
                    notes="Two signatures, 30-day payment terms" if not chinese else "需两级审批，付款账期30天",
                    typical_days=rng.choice([7, 14, 30, 60]),
                )
            )
    if rng.random() < depth:
        rows.events.append(
            MajorEvent(
                account=account,
                date=ctx.today - timedelta(days=rng.randint(10, 300)),
                title="New CIO appointed" if not chinese else "新任信息化总监到岗",
            )
        )
    for key in ("purchased_products", "sales_promises", "customer_processes", "major_events"):
        if rng.random() < depth:
            rows.sections.append(
                DossierSection(account=account, key=key, version=1, updated_at=updated, updated_by=account.owner)
            )


def seed_dossiers(ctx: Any, accounts: list[Account]) -> int:
    """Dossiers at varied completeness: some thorough, many partial, a few empty."""
    from django.utils import timezone

    from .dossier import dossier_rescore
    from .models import CustomerProcess, DossierSection, MajorEvent, PurchasedProduct, SalesPromise, Stakeholder

    now = timezone.now()
    rows = _DossierRows()
    for account in accounts:
        _dossier_rows(ctx, account, rows, now)
    DossierSection.objects.bulk_create(rows.sections, batch_size=2000, ignore_conflicts=True)
    PurchasedProduct.objects.bulk_create(rows.products, batch_size=2000)
    SalesPromise.objects.bulk_create(rows.promises, batch_size=2000)
    CustomerProcess.objects.bulk_create(rows.processes, batch_size=2000, ignore_conflicts=True)
    MajorEvent.objects.bulk_create(rows.events, batch_size=2000)
    # Key people need demands and personality notes for the key-people section.
    keyed = list(Stakeholder.objects.filter(account__in=accounts, key_level__gt=0))
    for person in keyed:
        if ctx.rng.random() < 0.6:
            person.demands = "Wants weekly pipeline reports" if person.name.isascii() else "希望每周看到商机报表"
            person.personality = "Data-driven, decides fast" if person.name.isascii() else "重数据，决策快"
    Stakeholder.objects.bulk_update(keyed, ["demands", "personality"], batch_size=2000)
    dossier_rescore(account_ids=[a.pk for a in accounts])
    return len(rows.sections)


def seed_reviews(ctx: Any, accounts: list[Account]) -> int:
    """A few past reviews by the manager, so the queue and summaries have history."""
    from django.utils import timezone

    from .models import DossierReview, DossierReviewRating, SectionKey

    manager = ctx.users.get("manager")
    if manager is None:
        return 0
    rng = ctx.rng
    reviewed = [a for a in accounts if a.owner_id and rng.random() < 0.2]
    reviews = [
        DossierReview(
            account=a,
            reviewer=manager,
            verdict=rng.choice(["approved", "needs_work"]),
            comment="",
            score_at_review=a.dossier_score,
        )
        for a in reviewed
    ]
    DossierReview.objects.bulk_create(reviews)
    now = timezone.now()
    for review in reviews:
        DossierReview.objects.filter(pk=review.pk).update(created_at=now - timedelta(days=rng.randint(5, 200)))
    DossierReviewRating.objects.bulk_create(
        [
            DossierReviewRating(review=r, section=key, rating=rng.randint(2, 5))
            for r in reviews
            for key in SectionKey.values
        ]
    )
    return len(reviews)
