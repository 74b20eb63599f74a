"""Global search (``workspace.search.search_for_user``) over a large book.

    .venv/bin/python bench/search.py --database-url postgres://postgres@127.0.0.1:5432/hourglass_bench_search
    .venv/bin/python bench/search.py --small          # SQLite (its own file in <var>/bench/)
        [--accounts N] [--stakeholders N] [--timeline N] [--queries 200] [--seed 42] [--reset] [--no-json]

Data (deterministic, generated once and reused while the sizes stay the same): by
default 50,000 accounts, 200,000 stakeholders, 1,000,000 timeline entries, one dossier
section per account, 2 tasks per account and 500 best-practice cases; ``--small`` (the
SQLite default) is a tenth of that. Names are half Chinese (company names such as
杭州云帆科技有限公司, people such as 张伟 — common names recur, as in real books), half
English; timeline subjects mix both (``Call with 李娜: renewal``, ``与王芳沟通续费``).
100 CSMs own the accounts evenly (a CSM's book: 500 accounts, 10,000 timeline entries).

Measured, in-process: ``--queries`` realistic queries (account names and their first
characters, 2-character Chinese names, email prefixes, external ids, timeline topics,
words with no hit), each run as an admin (the whole database) and as one CSM (their
book), 5 hits per type as the quick-jump dialog asks; p50 / p95 / max. Baseline, in the
same run: the same number of trivial indexed lookups (an account by external id) and
the ratio of search to baseline. Goal (issue 20): p95 ≤ 100 ms. Also printed: the p95 of
the CPU time spent per search by this process and, on a local PostgreSQL, by its
backend (what a quiet machine would take; the wall-clock figures include waiting for a
CPU on a shared one), and the load average.
Prints a table and writes ``bench/results/search/<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as ``python bench/search.py``: import from the repo root
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.common import (
    ForeignData,
    check_only_bench_accounts,
    database_info,
    empty_tables,
    environment,
    measuring_settings,
    now_iso,
    render_table,
    setup,
    vacuum_analyze,
    write_results,
)

PREFIX = "BSRCH"
CSM_PREFIX = "bench.search.csm."
CSMS = 100
BATCH = 5000
GOAL_P95_MS = 100.0

CITIES = ["北京", "上海", "深圳", "杭州", "成都", "广州", "南京", "武汉", "苏州", "西安", "重庆", "天津"]
CORE = list("云帆星海金石华信达安泰恒远创新博瑞启明正德汇通鼎盛宏图中科蓝天智联易数优品")
TRADES = ["科技", "软件", "制造", "医药", "物流", "教育", "金融", "零售", "能源", "传媒"]
ADJECTIVES = ["Blue", "Silver", "Bright", "Northern", "Rapid", "Golden", "Summit", "Clear", "Prime", "Urban",
              "Global", "Red", "Green", "Pacific", "Atlas", "Nova", "Orion", "Cedar", "Harbor", "Iron"]  # fmt: skip
NOUNS = ["Harbor", "Peak", "River", "Bridge", "Forge", "Field", "Stone", "Wave", "Grid", "Works", "Labs",
         "Logic", "Craft", "Point", "Path", "Signal", "Cloud", "Data", "Motion", "Vista"]  # fmt: skip
SUFFIXES = ["Ltd", "Inc", "Group", "Systems", "Technologies", "Holdings", "Partners", "Co"]
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈")
GIVEN = list("伟芳娜秀敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰飞鹏辉婷雪琳晶")
FIRST = ["James", "Mary", "John", "Linda", "Wei", "Na", "Lei", "Emma", "Oliver", "Sophia", "Lucas", "Mia",
         "Ethan", "Amelia", "Chen", "Hao", "Yan", "Grace", "Henry", "Chloe"]  # fmt: skip
LAST = ["Smith", "Johnson", "Brown", "Taylor", "Wang", "Li", "Zhang", "Liu", "Miller", "Davis", "Wilson",
        "Moore", "Clark", "Lewis", "Walker", "Hall", "Young", "King", "Wright", "Scott"]  # fmt: skip
TOPICS_EN = ["renewal", "expansion", "onboarding", "SSO integration", "usage review", "training", "QBR",
             "support escalation", "pricing", "data migration", "API limits", "new module"]  # fmt: skip
TOPICS_ZH = ["续费", "增购", "上线", "培训", "报表", "集成", "价格", "审批流程", "数据迁移", "满意度"]
TITLES_EN = ["Call with {p}: {t}", "Email to {p} about {t}", "Visit: {t}", "{t} meeting", "Note: {t}"]
TITLES_ZH = ["与{p}沟通{t}", "拜访{p}：{t}", "{t}会议纪要", "电话：{t}"]
NO_HIT = ["zzqx", "qwertyuiop", "不存在的公司", "xylophone", "无此人"]


@dataclass(frozen=True)
class Sizes:
    accounts: int
    stakeholders: int
    timeline: int
    seed: int

    @property
    def prefix(self) -> str:
        return f"{PREFIX}{self.seed}-"


def company(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return f"{rng.choice(CITIES)}{rng.choice(CORE)}{rng.choice(CORE)}{rng.choice(TRADES)}有限公司"
    return f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} {rng.choice(SUFFIXES)}"


def person(rng: random.Random) -> tuple[str, str]:
    """A name and an email local part."""
    if rng.random() < 0.5:
        given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.5 else "")
        return rng.choice(SURNAMES) + given, f"user{rng.randrange(10**6)}"
    first, last = rng.choice(FIRST), rng.choice(LAST)
    return f"{first} {last}", f"{first}.{last}{rng.randrange(1000)}".lower()


def subject(rng: random.Random, people: Sequence[str]) -> str:
    someone = rng.choice(people) if people else "客户"
    if rng.random() < 0.5:
        return rng.choice(TITLES_ZH).format(p=someone, t=rng.choice(TOPICS_ZH))
    return rng.choice(TITLES_EN).format(p=someone, t=rng.choice(TOPICS_EN))


def batches(rows: Iterator[Any]) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


@contextmanager
def search_indexes_dropped() -> Iterator[None]:
    """PostgreSQL: load without the search indexes (workspace migrations 0001 and 0002),
    then build them once (as the migrations would on an existing database): a million
    inserts into a GIN index each would take far longer."""
    from django.db import connection

    trigrams = importlib.import_module("workspace.migrations.0001_search_indexes")
    second = importlib.import_module("workspace.migrations.0002_search_scope_and_prefix_indexes")
    if connection.vendor != "postgresql":
        yield
        return
    names = [trigrams._name(table, column) for table, column in trigrams.SEARCHED]
    with connection.cursor() as cursor:
        for name in names + [name for name, _table, _what in second.INDEXES]:
            cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
    try:
        yield
    finally:
        mark = time.perf_counter()
        with connection.cursor() as cursor:
            for table, column in trigrams.SEARCHED:
                cursor.execute(
                    f'CREATE INDEX IF NOT EXISTS "{trigrams._name(table, column)}" '
                    f'ON "{table}" USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
                )
            for name, table, what in second.INDEXES:
                cursor.execute(second.create_sql(name, table, what, concurrently=False))
        print(f"  search indexes built in {time.perf_counter() - mark:.1f} s")


def _pg_array(values: Sequence[str]) -> str:
    return "ARRAY[" + ", ".join("'" + value.replace("'", "''") + "'" for value in values) + "]"


def _pick(values: Sequence[str]) -> str:
    """SQL: one of ``values`` at random (PostgreSQL; ``setseed`` makes it repeatable)."""
    return f"({_pg_array(values)})[1 + floor(random() * {len(values)})::int]"


def sql_insert(model: Any, count: int, columns: dict[str, str]) -> None:
    """PostgreSQL: ``count`` rows made by the database itself (INSERT … SELECT over
    ``generate_series``; ``i`` is the row number, ``ids`` the account ids): ``columns``
    maps a column to its SQL, every other column gets the field's default."""
    from django.db import connection, models

    names, values, params = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        names.append(connection.ops.quote_name(field.column))
        if field.column in columns:
            values.append(columns[field.column])
        elif isinstance(field, models.DateTimeField) and (field.auto_now or field.auto_now_add):
            values.append("now()")
        elif isinstance(field, models.DateField) and (field.auto_now or field.auto_now_add):
            values.append("current_date")
        else:
            values.append("%s")
            params.append(field.get_db_prep_save(field.get_default(), connection))
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH a AS (SELECT array_agg(id ORDER BY id) AS ids FROM accounts_account) "  # noqa: S608 - our SQL
            f"INSERT INTO {table} ({', '.join(names)}) "
            f"SELECT {', '.join(values)} FROM a, generate_series(0, {count - 1}) AS g(i)",
            params,
        )


def generate_pg(sizes: Sizes) -> None:
    """The big tables in SQL on PostgreSQL: a million ORM objects would take far longer."""
    from django.db import connection

    from accounts.models import DossierSection, Stakeholder, TimelineEntry
    from playbooks.models import Task

    account = "ids[1 + mod(i, array_length(ids, 1))]"
    zh_person = f"{_pick(SURNAMES)} || {_pick(GIVEN)} || CASE WHEN random() < 0.5 THEN {_pick(GIVEN)} ELSE '' END"
    en_first, en_last = _pick(FIRST), _pick(LAST)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT setseed({(sizes.seed % 1000) / 1000})")
    sql_insert(
        Stakeholder,
        sizes.stakeholders,
        {
            "account_id": account,
            "name": f"CASE WHEN mod(i, 2) = 0 THEN {zh_person} ELSE {en_first} || ' ' || {en_last} END",
            "email": f"lower({en_first}) || '.' || lower({en_last}) || i || '@c' || {account} || '.example.com'",
        },
    )
    print(f"  {sizes.stakeholders:,} stakeholders")
    zh_title = (
        f"CASE floor(random() * 3)::int WHEN 0 THEN '与' || {zh_person} || '沟通' || {_pick(TOPICS_ZH)} "
        f"WHEN 1 THEN '拜访' || {zh_person} || '：' || {_pick(TOPICS_ZH)} ELSE {_pick(TOPICS_ZH)} || '会议纪要' END"
    )
    en_title = (
        f"CASE floor(random() * 3)::int WHEN 0 THEN 'Call with ' || {en_first} || ' ' || {en_last} || ': ' "
        f"|| {_pick(TOPICS_EN)} WHEN 1 THEN 'Email to ' || {en_first} || ' about ' || {_pick(TOPICS_EN)} "
        f"ELSE {_pick(TOPICS_EN)} || ' meeting' END"
    )
    sql_insert(
        TimelineEntry,
        sizes.timeline,
        {
            "account_id": account,
            "kind": "'call'",
            "is_touchpoint": "true",
            "title": f"CASE WHEN mod(i, 2) = 0 THEN {zh_title} ELSE {en_title} END",
            "occurred_at": "now() - random() * interval '730 days'",
        },
    )
    print(f"  {sizes.timeline:,} timeline entries")
    sql_insert(
        DossierSection,
        sizes.accounts,
        {
            "account_id": "ids[1 + i]",
            "key": "'company_overview'",
            "content": f"'主营' || {_pick(TRADES)} || '业务，使用我们的' || {_pick(TOPICS_ZH)} || '模块。Key goal: ' "
            f"|| {_pick(TOPICS_EN)} || '; sponsor ' || {zh_person} || '.'",
        },
    )
    sql_insert(
        Task,
        sizes.accounts * 2,
        {
            "account_id": account,
            "title": f"{_pick(['Prepare', 'Send', 'Review', '准备', '跟进'])} || ' ' || {_pick(TOPICS_EN + TOPICS_ZH)}",
            "due_date": "current_date + (floor(random() * 90)::int - 30)",
        },
    )


def generate(sizes: Sizes) -> None:
    from django.utils import timezone

    from accounts.models import Account, DossierSection, Stakeholder, TimelineEntry
    from org.models import Role
    from playbooks.models import Task
    from tests.factories import make_person

    rng = random.Random(sizes.seed)
    csms = [make_person(Role.CSM, username=f"{CSM_PREFIX}{i}") for i in range(CSMS)]
    make_person(Role.ADMIN, username="bench.search.admin")
    for batch in batches(
        Account(name=company(rng), external_id=f"{sizes.prefix}{i:06d}", owner=csms[i % CSMS], arr=10000 + i % 90000)
        for i in range(sizes.accounts)
    ):
        Account.objects.bulk_create(batch)
    account_ids = list(Account.objects.order_by("pk").values_list("pk", flat=True))
    names: dict[int, list[str]] = {}
    from django.db import connection

    if connection.vendor == "postgresql":
        generate_pg(sizes)
        _cases(rng)
        return

    def stakeholders() -> Iterator[Stakeholder]:
        for i in range(sizes.stakeholders):
            account_id = account_ids[i % len(account_ids)]
            name, local = person(rng)
            names.setdefault(account_id, []).append(name)
            yield Stakeholder(account_id=account_id, name=name, email=f"{local}@c{account_id}.example.com")

    for batch in batches(stakeholders()):
        Stakeholder.objects.bulk_create(batch)
    print(f"  {sizes.accounts:,} accounts, {sizes.stakeholders:,} stakeholders")
    now = timezone.now()

    def entries() -> Iterator[TimelineEntry]:
        for i in range(sizes.timeline):
            account_id = account_ids[i % len(account_ids)]
            yield TimelineEntry(
                account_id=account_id,
                kind="call",
                is_touchpoint=True,
                title=subject(rng, names.get(account_id, [])),
                occurred_at=now - timedelta(minutes=rng.randrange(60 * 24 * 730)),
            )

    for n, batch in enumerate(batches(entries()), start=1):
        TimelineEntry.objects.bulk_create(batch)
        if n % 40 == 0:
            print(f"  {n * BATCH:,} timeline entries")
    for batch in batches(
        DossierSection(
            account_id=account_id,
            key="company_overview",
            content=f"主营{rng.choice(TRADES)}业务，使用我们的{rng.choice(TOPICS_ZH)}模块。"
            f"Key goal: {rng.choice(TOPICS_EN)}; sponsor {rng.choice(names.get(account_id, ['—']))}.",
        )
        for account_id in account_ids
    ):
        DossierSection.objects.bulk_create(batch)
    today = timezone.localdate()
    for batch in batches(
        Task(
            account_id=account_id,
            assignee_id=csms[n % CSMS].pk,
            title=f"{rng.choice(['Prepare', 'Send', 'Review', '准备', '跟进'])} {rng.choice(TOPICS_EN + TOPICS_ZH)}",
            due_date=today + timedelta(days=rng.randrange(-30, 60)),
        )
        for n, account_id in enumerate(account_ids * 2)
    ):
        Task.objects.bulk_create(batch)
    _cases(rng)


def _cases(rng: random.Random) -> None:
    from knowledge.models import Case

    Case.objects.bulk_create(
        Case(
            title=f"{rng.choice(TOPICS_ZH)}最佳实践 {i}: {rng.choice(TOPICS_EN)}",
            industry="manufacturing",
            size_band="51_200",
            arr_band="smb",
            problem="p",
            approach="a",
            result="r",
            status="approved",
        )
        for i in range(500)
    )


def dataset_present(sizes: Sizes) -> bool:
    from accounts.models import Account, Stakeholder, TimelineEntry

    return (
        Account.objects.filter(external_id__startswith=sizes.prefix).count() == sizes.accounts
        and Account.objects.count() == sizes.accounts
        and Stakeholder.objects.count() == sizes.stakeholders
        and TimelineEntry.objects.count() == sizes.timeline
    )


def wipe() -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from accounts.models import Account
    from knowledge.models import Case

    if connection.vendor == "postgresql":
        empty_tables(Account, Case, cascade=True)  # no per-row signals or history
    else:
        Case.objects.all().delete()
        Account.objects.all().delete()  # the big child tables are emptied before (main)
    get_user_model().objects.filter(username__startswith="bench.search.").delete()


def middle(name: str) -> str:
    words = name.split(" ")
    return words[1] if len(words) > 1 else name[2:6]


def queries(rng: random.Random, count: int) -> list[str]:
    """Realistic queries, drawn from the data itself."""
    from accounts.models import Account, Stakeholder

    accounts = list(Account.objects.order_by("?").values_list("name", "external_id")[:200])
    people = list(Stakeholder.objects.order_by("?").values_list("name", "email")[:200])
    makers: list[Callable[[], str]] = [
        lambda: rng.choice(accounts)[0],  # a full name
        lambda: rng.choice(accounts)[0][:4],  # the first characters (杭州云帆, Blue)
        lambda: middle(rng.choice(accounts)[0]),  # a word inside the name (云帆科技, Harbor)
        lambda: rng.choice(people)[0][:2],  # 2 characters: a Chinese surname + given name
        lambda: rng.choice(people)[0],
        lambda: rng.choice(people)[1].split("@")[0][:8],  # an email prefix
        lambda: (rng.choice(accounts)[1] or "")[-6:],  # part of an external id
        lambda: rng.choice(TOPICS_EN),
        lambda: rng.choice(TOPICS_ZH),
        lambda: rng.choice(NO_HIT),
    ]
    out: list[str] = []
    while len(out) < count:
        q = makers[len(out) % len(makers)]().strip()
        if len(q) >= 2:
            out.append(q)
    return out


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": statistics.median(ordered) * 1000,
        "p95_ms": ordered[max(int(len(ordered) * 0.95) - 1, 0)] * 1000,
        "max_ms": ordered[-1] * 1000,
    }


def cpu_clock() -> Callable[[], float]:
    """Seconds of CPU used so far by this process and, when the database server runs on
    this machine (PostgreSQL on localhost, its backend's ``/proc/<pid>/schedstat``), by
    the backend serving this connection; SQLite runs in-process. Unlike the wall clock,
    it does not count waiting for a CPU that other jobs hold."""
    from django.db import connection

    stat = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            candidate = Path(f"/proc/{cursor.fetchone()[0]}/schedstat")
        stat = candidate if candidate.exists() else None

    def clock() -> float:
        server = int(stat.read_text().split()[0]) / 1e9 if stat is not None else 0.0
        return time.process_time() + server

    return clock


def run(user: Any, qs: list[str]) -> tuple[dict[str, float], float]:
    from workspace.search import search_for_user

    for q in qs[:5]:  # warm-up
        search_for_user(user, q)
    clock = cpu_clock()
    samples, cpu, hits = [], [], 0
    for q in qs:
        started, started_cpu = time.perf_counter(), clock()
        results = search_for_user(user, q, limit_per_type=5)
        samples.append(time.perf_counter() - started)
        cpu.append(clock() - started_cpu)
        hits += results.total
    return percentiles(samples) | {"cpu_p95_ms": percentiles(cpu)["p95_ms"]}, hits / len(qs)


def run_baseline(sizes: Sizes, count: int, rng: random.Random) -> dict[str, float]:
    from accounts.models import Account

    ids = [f"{sizes.prefix}{rng.randrange(sizes.accounts):06d}" for _ in range(count)]
    clock = cpu_clock()
    samples, cpu = [], []
    for external_id in ids:
        started, started_cpu = time.perf_counter(), clock()
        Account.objects.filter(external_id=external_id).values("pk", "name").first()
        samples.append(time.perf_counter() - started)
        cpu.append(clock() - started_cpu)
    return percentiles(samples) | {"cpu_p95_ms": percentiles(cpu)["p95_ms"]}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", action="store_true", help="a tenth of the default sizes (the SQLite default)")
    parser.add_argument("--accounts", type=int)
    parser.add_argument("--stakeholders", type=int)
    parser.add_argument("--timeline", type=int)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--reset", action="store_true", help="regenerate the data set")
    parser.add_argument("--no-json", action="store_true", help="do not write a results file")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    small = args.small or not (args.database_url or "").startswith("postgres")
    scale = 10 if small else 1
    sizes = Sizes(
        accounts=args.accounts or 50_000 // scale,
        stakeholders=args.stakeholders or 200_000 // scale,
        timeline=args.timeline or 1_000_000 // scale,
        seed=args.seed,
    )
    database = setup(args.database_url, name="search")
    if database is None:
        return 1
    try:
        check_only_bench_accounts(PREFIX)
    except ForeignData as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    from django.contrib.auth import get_user_model

    from accounts.models import Account, DossierSection, Stakeholder, TimelineEntry
    from playbooks.models import Task

    if args.reset or not dataset_present(sizes):
        mark = time.perf_counter()
        print(
            f"Generating {sizes.accounts:,} accounts, {sizes.stakeholders:,} stakeholders, "
            f"{sizes.timeline:,} timeline entries ..."
        )
        for model in (TimelineEntry, Stakeholder, DossierSection, Task):
            model.objects.all()._raw_delete(model.objects.db)
        wipe()
        fast_passwords = ["django.contrib.auth.hashers.MD5PasswordHasher"]
        with measuring_settings(PASSWORD_HASHERS=fast_passwords), search_indexes_dropped():
            generate(sizes)
        print(f"Generated in {time.perf_counter() - mark:.1f} s")
    else:
        print("Data set already present; reusing it.")
    vacuum_analyze()
    users = get_user_model().objects
    admin = users.get(username="bench.search.admin")
    csm = users.get(username=f"{CSM_PREFIX}0")
    rng = random.Random(args.seed)
    qs = queries(rng, args.queries)
    db = database_info()
    book = Account.objects.filter(owner=csm).count()
    print(f"Engine: {db['version']}; {len(qs)} queries; the CSM's book: {book:,} accounts")
    with measuring_settings():
        admin_figures, admin_hits = run(admin, qs)
        csm_figures, csm_hits = run(csm, qs)
        baseline = run_baseline(sizes, len(qs), rng)
    rows = [
        ["search, admin (everything)", *admin_figures.values(), admin_hits],
        [f"search, CSM ({book:,} accounts)", *csm_figures.values(), csm_hits],
        ["baseline: account by external id", *baseline.values(), 1.0],
    ]
    print()
    # Wall-clock figures include waiting for a CPU on a shared machine; the CPU time of
    # this process and of its database backend (``cpu_clock``) does not.
    print(render_table(["run", "p50 ms", "p95 ms", "max ms", "CPU p95 ms", "hits/query"], rows))
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    worst = max(admin_figures["p95_ms"], csm_figures["p95_ms"])
    ratio = worst / baseline["p95_ms"] if baseline["p95_ms"] else float("inf")
    verdict = "met" if worst <= GOAL_P95_MS else "NOT met"
    print(f"\nsearch p95 {worst:.1f} ms = {ratio:.0f}x the baseline's p95; goal p95 ≤ {GOAL_P95_MS:.0f} ms: {verdict}")
    worst_cpu = max(admin_figures["cpu_p95_ms"], csm_figures["cpu_p95_ms"])
    print(f"CPU per search (this process + its database backend) p95 {worst_cpu:.1f} ms")
    if not args.no_json:
        path = write_results(
            "search",
            {
                "when": now_iso(),
                "database": db,
                "environment": environment(),
                "sizes": sizes.__dict__,
                "queries": qs,
                "admin": admin_figures | {"hits_per_query": admin_hits},
                "csm": csm_figures | {"hits_per_query": csm_hits, "book_accounts": book},
                "baseline": baseline,
                "p95_ratio_to_baseline": ratio,
            },
        )
        print(f"Results: {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
