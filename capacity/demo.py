"""Demo people: an admin, a CS manager leading a team of four CSMs and a new hire.

The four carry full books (over the active preset's band, as many teams are); the new
hire, without a book yet, is who the rebalancing proposal hands accounts to.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model

from accounts.models import Industry
from core.demo import DemoContext, DemoLogin
from org.models import Role, Team
from org.services import person_create, team_create

DEMO_PASSWORD = "hourglass-demo"  # noqa: S105 - printed for the demo on purpose
DEMO_TEAM = "East team"


@dataclass(frozen=True)
class DemoPerson:
    username: str
    role: str
    first_name: str
    last_name: str
    industries: tuple[str, ...] = ()


DEMO_PEOPLE = (
    DemoPerson("admin", Role.ADMIN, "Ada", "Admin"),
    DemoPerson("manager", Role.MANAGER, "静", "陈"),
    DemoPerson("csm.li", Role.CSM, "伟", "李", (Industry.MANUFACTURING, Industry.ENERGY, Industry.LOGISTICS)),
    DemoPerson("csm.wang", Role.CSM, "芳", "王", (Industry.RETAIL, Industry.EDUCATION, Industry.HEALTHCARE)),
    DemoPerson(
        "csm.emma", Role.CSM, "Emma", "Clark", (Industry.INTERNET, Industry.FINANCE, Industry.PROFESSIONAL_SERVICES)
    ),
    DemoPerson("csm.zhao", Role.CSM, "磊", "赵", (Industry.REAL_ESTATE, Industry.PUBLIC_SECTOR, Industry.OTHER)),
    DemoPerson("csm.sun", Role.CSM, "悦", "孙"),  # joined this quarter: no book yet, no specialism
)


def present() -> bool:
    return get_user_model().objects.filter(username__in=[p.username for p in DEMO_PEOPLE]).exists()


def reset() -> None:
    get_user_model().objects.filter(username__in=[p.username for p in DEMO_PEOPLE]).delete()
    Team.objects.filter(name=DEMO_TEAM).delete()


def seed(ctx: DemoContext) -> None:
    for person in DEMO_PEOPLE:
        ctx.users[person.username] = person_create(
            username=person.username,
            role=person.role,
            password=DEMO_PASSWORD,
            first_name=person.first_name,
            last_name=person.last_name,
            email=f"{person.username}@demo.hourglass.local",
            industries=person.industries,
        )
    team = team_create(name=DEMO_TEAM, lead=ctx.users["manager"])
    for person in DEMO_PEOPLE:
        if person.role == Role.CSM:
            profile = ctx.users[person.username].cs_profile
            profile.team = team
            profile.save(update_fields=["team"])
        for industry in person.industries:
            ctx.owners_by_industry.setdefault(industry, []).append(ctx.users[person.username])
    ctx.summary.append(f"{len(DEMO_PEOPLE)} people in {DEMO_TEAM}")


def logins() -> list[DemoLogin]:
    return [DemoLogin(p.username, str(p.role), DEMO_PASSWORD) for p in DEMO_PEOPLE]
