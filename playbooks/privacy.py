"""Playbooks' part of a contact's personal-data export and erasure (accounts.privacy).

Connected in ``PlaybooksConfig.ready``. Tasks and their comments are the CSMs' words,
but they may name the customer's people: mentions in the account's tasks are exported
and redacted like the account's timeline.
"""

from __future__ import annotations

import re
from typing import Any

from core.privacy import mentioning_rows, redact_rows, redaction_pattern

from .models import Task, TaskComment


def on_personal_data(sender: Any, *, stakeholder: Any, terms: set[str], **kwargs: Any) -> dict[str, Any]:
    pattern = redaction_pattern(terms)
    account_id = stakeholder.account_id
    return {
        "task_mentions": mentioning_rows(
            Task.objects.filter(account_id=account_id), fields=("title", "description"), pattern=pattern
        ),
        "task_comment_mentions": mentioning_rows(
            TaskComment.objects.filter(task__account_id=account_id), fields=("body",), pattern=pattern
        ),
    }


def on_erasing(
    sender: Any, *, stakeholder: Any, pattern: re.Pattern[str] | None, replacement: str, **kwargs: Any
) -> dict[str, int]:
    if pattern is None:
        return {}
    account_id = stakeholder.account_id
    return {
        "playbooks.task": redact_rows(
            Task.objects.filter(account_id=account_id),
            fields=("title", "description"),
            pattern=pattern,
            replacement=replacement,
            history_filter={"account_id": account_id},
        ),
        "playbooks.taskcomment": redact_rows(
            TaskComment.objects.filter(task__account_id=account_id),
            fields=("body",),
            pattern=pattern,
            replacement=replacement,
        ),
    }
