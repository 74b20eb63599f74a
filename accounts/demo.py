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
    ctx.shared["accounts"] = list(Account.objects.order_by("pk"))
    ctx.summary.append(f"{len(rows)} customer accounts")
