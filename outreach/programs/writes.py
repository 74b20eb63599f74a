"""What a batch of program steps writes, set-based (``runner`` decides, this writes).

In the batch's transaction, in this order:

1. the tasks of task steps, through playbooks' ``tasks_create_for_owners`` (assigned to
   the account's owner, the step's task type, once per episode
   ``program:<step id>:<enrolment id>``);
2. the outbox rows of the emails (multi-row ``INSERT … ON CONFLICT DO NOTHING``, dedupe
   key ``program:<step id>:<enrolment id>``, bodies rendered by the delivery worker);
3. the step runs (multi-row ``INSERT … ON CONFLICT DO NOTHING``: unique per enrolment
   and step), each email's run then linked to its outbox row by one UPDATE;
4. one timeline entry per account and email step of the batch ("Program email sent",
   naming the contacts), through ``accounts.timeline.timeline_record_many``;
5. the enrolments: one UPDATE per resulting state (after a wait, the whole batch shares one).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Account
from accounts.timeline import TimelineDraft, timeline_record_many
from core.messages import message
from core.models import OutboundEmail
from playbooks.owner_tasks import OwnerTask, tasks_create_for_owners

from ..bulk import db_time, insert_values, outbox_insert_values, table
from ..models import Enrollment, ProgramStep, StepRun
from .emails import PROGRAM_RENDERER

if TYPE_CHECKING:
    from .runner import Row

TIMELINE_KIND = "program_email_sent"
# Contacts named in one timeline entry; more are counted.
NAMED_CONTACTS = 10


class Writes:
    def __init__(self, *, now: datetime, program_names: dict[int, str]) -> None:
        self.now = now
        self.program_names = program_names
        self.runs: list[tuple[int, int, str, str, str | None]] = []  # enrolment, step, outcome, language, task key
        self.emails: list[tuple[str, str, str, dict[str, Any]]] = []  # the outbox rows
        self.sent: dict[tuple[int, int], list[str]] = defaultdict(list)  # (account, step) -> contacts
        self.tasks: list[OwnerTask] = []
        self.task_types: dict[str, str] = {}
        self.step_names: dict[int, tuple[int, int]] = {}  # step -> (program, position)

    def run(self, enrollment_id: int, step_id: int, outcome: str, language: str = "", task: str | None = None) -> None:
        self.runs.append((enrollment_id, step_id, outcome, language, task))

    def email(self, row: Row, step: ProgramStep, *, language: str, subject: str, key: str) -> None:
        self.run(row.pk, step.pk, "sent", language)
        self.emails.append((key, row.email, subject, {"enrollment_id": row.pk, "step_id": step.pk}))
        self.sent[(row.account_id, step.pk)].append(row.contact_name.strip() or row.email)
        self.step_names[step.pk] = (step.program_id, step.position)

    def task(self, row: Row, step: ProgramStep, *, title: str, merge: dict[str, str], key: str) -> None:
        assert row.owner_id is not None
        self.run(row.pk, step.pk, "task_created", task=key)
        with translation.override(settings.LANGUAGE_CODE):
            description = _("Created by the program “%(program)s” for %(contact)s <%(email)s>.") % {
                "program": self.program_names.get(step.program_id, ""),
                "contact": merge["contact_name"],
                "email": row.email,
            }
        self.tasks.append(
            OwnerTask(
                account_id=row.account_id,
                owner_id=row.owner_id,
                title=title,
                due_date=timezone.localdate(self.now) + timedelta(days=step.task_due_days),
                episode_key=key,
                description=description,
                task_type=step.task_type,
            )
        )

    def write(self, rows: list[Row], *, token: str) -> None:
        task_ids = tasks_create_for_owners(self.tasks) if self.tasks else {}
        messages = self._outbox()
        at = db_time(self.now)
        insert_values(
            into=table(StepRun),
            columns=("enrollment_id", "step_id", "outcome", "language", "task_id", "email_message_id", "created_at"),
            rows=[
                (e, s, outcome, lang, task_ids.get(task) if task else None, messages.get((s, e)), at)
                for e, s, outcome, lang, task in self.runs
            ],
            suffix="ON CONFLICT DO NOTHING",
        )
        if self.sent:
            self._timeline()
        states: dict[tuple[Any, ...], list[int]] = defaultdict(list)
        for row in rows:
            states[(row.status, row.position, row.next_action_at, row.exit_reason, row.finished_at)].append(row.pk)
        # The smaller groups by their ids, then the largest (most of a batch: the same
        # wait) by the token the others no longer carry: no list of its ids.
        ordered = sorted(states.items(), key=lambda item: len(item[1]))
        for number, ((status, position, next_action_at, reason, finished_at), ids) in enumerate(ordered, 1):
            rows_of = Enrollment.objects.filter(claim_token=token)
            if number < len(ordered):
                rows_of = rows_of.filter(pk__in=ids)
            rows_of.update(
                status=status,
                position=position,
                next_action_at=next_action_at,
                exit_reason=reason,
                finished_at=finished_at,
                claim_token="",
            )

    def _outbox(self) -> dict[tuple[int, int], int]:
        """Queue the emails; each one's outbox id by (step, enrolment). A key queued before
        (never in practice: the step run and its email commit together) is read back."""
        if not self.emails:
            return {}
        ids: dict[str, int] = dict(
            outbox_insert_values(rows=self.emails, render_with=PROGRAM_RENDERER, now=self.now, keys=True)
        )
        missing = [key for key, *_rest in self.emails if key not in ids]
        if missing:
            ids.update(OutboundEmail.objects.filter(dedupe_key__in=missing).values_list("dedupe_key", "pk"))
        return {(args["step_id"], args["enrollment_id"]): ids[key] for key, _to, _subject, args in self.emails}

    def _timeline(self) -> None:
        program_names = self.program_names
        drafts = []
        for (account_id, step_id), contacts in sorted(self.sent.items()):
            program_id, position = self.step_names[step_id]
            named = ", ".join(contacts[:NAMED_CONTACTS])
            if len(contacts) > NAMED_CONTACTS:
                text = gettext_noop(
                    "Program “%(program)s”, step %(step)s: email sent to %(contacts)s and %(more)s more"
                )
                note = message(
                    text,
                    program=program_names.get(program_id, ""),
                    step=position,
                    contacts=named,
                    more=len(contacts) - NAMED_CONTACTS,
                )
            else:
                text = gettext_noop("Program “%(program)s”, step %(step)s: email sent to %(contacts)s")
                note = message(text, program=program_names.get(program_id, ""), step=position, contacts=named)
            drafts.append(
                TimelineDraft(
                    account=Account(pk=account_id),
                    kind=TIMELINE_KIND,
                    message=note,
                    occurred_at=self.now,
                    data={"program_id": program_id, "step_id": step_id, "contacts": len(contacts)},
                )
            )
        timeline_record_many(drafts)
