"""Demo program: "Tech-touch onboarding" running for the tech-touch segment's day-to-day
contacts, enrolled over the past three weeks, each in the state the steps left them.

Written as the runner would have: the first steps are history (no email is queued, the
demo's sent emails are past); contacts enrolled a week ago or more passed the health
branch (a task for the owner of a red account, the tips email otherwise). The others
wait, and their branch comes due on the beat's schedule.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from accounts.models import Account, KeyPersonLevel
from accounts.segments import Segment
from health.selectors import with_health
from playbooks.models import Task
from playbooks.owner_tasks import OwnerTask, tasks_create_for_owners

from .models import Enrollment, EnrollmentStatus, Program, ProgramStatus, StepRun
from .programs.enrol import program_candidates
from .programs.runner import dedupe_key

STEPS: list[dict[str, Any]] = [
    {
        "position": 1,
        "kind": "email",
        "subject_en": "Welcome to your first month, {contact_name}",
        "body_en": "Hello {contact_name},\n\nWelcome aboard! {account_name} has logged {events_30d} events "
        "in the last 30 days. Our getting-started guide shows the three things most teams set up first.\n\n"
        "{csm_name}",
        "subject_zh_hans": "{contact_name}，欢迎开始使用",
        "body_zh_hans": "{contact_name}，您好：\n\n欢迎加入！{account_name} 过去 30 天共有 {events_30d} 次使用。"
        "入门指南介绍了大多数团队最先设置的三件事。\n\n{csm_name}",
        "link_url": "https://docs.example.com/getting-started",
        "link_text_en": "Open the getting-started guide",
        "link_text_zh_hans": "打开入门指南",
    },
    {"position": 2, "kind": "wait", "wait_days": 7},
    {"position": 3, "kind": "branch", "condition": "health", "condition_colours": ["red"], "goto_position": 6},
    {
        "position": 4,
        "kind": "email",
        "subject_en": "Three tips for {account_name}",
        "body_en": "Hello {contact_name},\n\n{active_users_30d} people at {account_name} used the product on their "
        "busiest day this month. Here are three tips to get more out of it.\n\n{csm_name}",
        "subject_zh_hans": "给 {account_name} 的三个小技巧",
        "body_zh_hans": "{contact_name}，您好：\n\n本月 {account_name} 最多有 {active_users_30d} 人在同一天使用产品。"
        "这里有三个小技巧。\n\n{csm_name}",
        "link_url": "https://docs.example.com/tips",
        "link_text_en": "Read the tips",
        "link_text_zh_hans": "查看技巧",
    },
    {"position": 5, "kind": "exit"},
    {
        "position": 6,
        "kind": "task",
        "task_title": "Onboarding at risk: call {contact_name} ({account_name})",
        "task_type": "risk",
    },
    {"position": 7, "kind": "exit"},
]


def seed_program(ctx: Any) -> None:
    from .programs.services import program_save

    admin = ctx.users.get("admin")
    program = program_save(
        actor=admin,
        name="Tech-touch onboarding",
        audience={"segments": [Segment.TECH_TOUCH], "key_levels": [KeyPersonLevel.DAY_TO_DAY]},
        steps=STEPS,
    )
    Program.objects.filter(pk=program.pk).update(status=ProgramStatus.ACTIVE, last_enrolled_at=timezone.now())
    steps = {step.position: step for step in program.steps.all()}
    people = list(program_candidates(program).select_related("account__owner").order_by("pk")[:400])
    accounts = Account.objects.filter(pk__in={person.account_id for person in people})
    colours = dict(with_health(accounts).values_list("pk", "health_colour"))  # type: ignore[misc]
    now = timezone.now()
    runs: list[StepRun] = []
    for person in people:
        enrolled = now - timedelta(days=ctx.rng.randint(1, 20), hours=ctx.rng.randint(0, 12))
        enrollment = Enrollment.objects.create(
            program=program, account=person.account, stakeholder=person, email=person.email.lower(),
            enrolled_at=enrolled, position=3, next_action_at=enrolled + timedelta(days=7),
        )  # fmt: skip
        runs += [StepRun(enrollment=enrollment, step=steps[1], outcome="sent", language="en", created_at=enrolled)]
        runs += [StepRun(enrollment=enrollment, step=steps[2], outcome="waited", created_at=enrolled)]
        if enrolled + timedelta(days=7) > now:
            continue
        at = enrolled + timedelta(days=7)
        red = colours.get(person.account_id) == "red"
        outcome = "branch_yes" if red else "branch_no"
        runs.append(StepRun(enrollment=enrollment, step=steps[3], outcome=outcome, created_at=at))
        if red and person.account.owner_id:
            key = dedupe_key(steps[6].pk, enrollment.pk)
            task_ids = tasks_create_for_owners([
                OwnerTask(
                    account_id=person.account_id, owner_id=person.account.owner_id,
                    title=f"Onboarding at risk: call {person.name} ({person.account.name})",
                    due_date=timezone.localdate(at) + timedelta(days=3), episode_key=key, task_type="risk",
                )
            ])  # fmt: skip
            runs.append(
                StepRun(
                    enrollment=enrollment, step=steps[6], outcome="task_created", task_id=task_ids[key], created_at=at
                )
            )
        elif not red:
            clicked = at + timedelta(hours=2) if ctx.rng.random() < 0.3 else None
            tips = StepRun(enrollment=enrollment, step=steps[4], outcome="sent", language="en", created_at=at)
            tips.clicked_at = clicked
            runs.append(tips)
        runs.append(StepRun(enrollment=enrollment, step=steps[5 if not red else 7], outcome="exited", created_at=at))
        Enrollment.objects.filter(pk=enrollment.pk).update(
            status=EnrollmentStatus.DONE, position=8, next_action_at=None, finished_at=at, exit_reason="exit_step"
        )
    StepRun.objects.bulk_create(runs, batch_size=2000)
    ctx.summary.append(f"Tech-touch onboarding program: {len(people)} contacts enrolled")


def reset_programs() -> None:
    Task.objects.filter(episode_key__startswith="program:").delete()
    Program.objects.all().delete()
