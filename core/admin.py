from __future__ import annotations

from functools import partial

from django.contrib import admin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import Notification, OutboundEmail, TaskFailure, WorkerHeartbeat
from .outbox import email_retry
from .tasks import email_deliver_task


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ("hostname", "last_seen")
    readonly_fields = ("hostname", "last_seen")


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("title", "recipient", "kind", "created_at", "read_at")
    list_filter = ("kind", ("read_at", admin.EmptyFieldListFilter))
    search_fields = ("title", "recipient__username")
    list_select_related = ("recipient",)
    raw_id_fields = ("recipient",)


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    """The outbox: what was sent, what waits for a retry, what failed and why."""

    list_display = ("subject", "recipients", "status", "attempts", "next_attempt_at", "sent_at", "created_at")
    list_filter = ("status",)
    search_fields = ("subject", "dedupe_key")
    readonly_fields = [f.name for f in OutboundEmail._meta.fields]
    actions = ["retry"]

    @admin.display(description=_("to"))
    def recipients(self, message: OutboundEmail) -> str:
        return ", ".join(message.to)

    @admin.action(description=_("Retry the selected failed emails"))
    def retry(self, request: HttpRequest, queryset: QuerySet[OutboundEmail]) -> None:
        for message in queryset.filter(status=OutboundEmail.Status.FAILED):
            email_retry(message_id=message.pk)
            transaction.on_commit(partial(email_deliver_task.delay, message_id=message.pk))


@admin.register(TaskFailure)
class TaskFailureAdmin(admin.ModelAdmin):
    """Celery tasks that failed: which, with what arguments, the exception and traceback."""

    list_display = ("task_name", "exception_summary", "failed_at", "task_id", "request_id")
    list_filter = ("task_name",)
    search_fields = ("task_name", "task_id", "exception", "request_id")
    date_hierarchy = "failed_at"
    readonly_fields = [f.name for f in TaskFailure._meta.fields]

    @admin.display(description=_("exception"))
    def exception_summary(self, failure: TaskFailure) -> str:
        first = failure.exception.splitlines()[0] if failure.exception else ""
        return first[:120]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
