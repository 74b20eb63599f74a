"""Helpers of the program tests: a program built through the real service."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from health.models import HealthScore
from outreach.models import Program
from outreach.programs.services import program_save, program_set_status

ONBOARDING_STEPS: list[dict[str, Any]] = [
    {
        "position": 1,
        "kind": "email",
        "subject_en": "Welcome, {contact_name}",
        "body_en": "Hello {contact_name},\n\n{account_name} logged {events_30d} events. {csm_name}",
        "subject_zh_hans": "欢迎，{contact_name}",
        "body_zh_hans": "您好 {contact_name}，\n\n{account_name} 本月有 {events_30d} 次使用。{csm_name}",
        "link_url": "https://docs.example.com/start",
        "link_text_en": "Get started",
    },
    {"position": 2, "kind": "wait", "wait_days": 7},
    {"position": 3, "kind": "branch", "condition": "health", "condition_colours": ["red"], "goto_position": 5},
    {"position": 4, "kind": "exit"},
    {"position": 5, "kind": "task", "task_title": "Call {contact_name} at {account_name}", "task_due_days": 2},
]


def make_program(
    actor: Any, *, steps: list[dict[str, Any]] | None = None, run: bool = True, **audience: Any
) -> Program:
    program = program_save(actor=actor, name="Onboarding", audience=audience, steps=steps or ONBOARDING_STEPS)
    if run:
        program_set_status(program=program, actor=actor, status="active")
    program.refresh_from_db()
    return program


def colour(account: Any, value: str) -> None:
    score = {"red": 20, "yellow": 55, "green": 85}[value]
    HealthScore.objects.create(account=account, day=timezone.localdate(), score=score, colour=value)
