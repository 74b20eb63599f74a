from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.api.serializers import OwnerSerializer
from accounts.forms import TOUCHPOINT_TEXT_MAX
from accounts.models import TouchpointKind
from core.api.fields import IdField, IdListField
from core.dates import BoundedDateField
from core.text_limits import TEXT_MAX_LENGTH

from ..models import Playbook, PlaybookStep, Priority, Task, TaskType


class PlaybookStepSerializer(serializers.ModelSerializer):
    title = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = PlaybookStep
        fields = [
            "id",
            "order",
            "title",
            "description",
            "checklist",
            "due_offset_days",
            "owner_role",
            "priority",
            "task_type",
            "named_user",
        ]
        read_only_fields = fields


class PlaybookSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name", read_only=True)
    description = serializers.CharField(source="display_description", read_only=True)
    steps = PlaybookStepSerializer(many=True, read_only=True)

    class Meta:
        model = Playbook
        fields = [
            "id",
            "key",
            "name",
            "description",
            "trigger",
            "active",
            "segments",
            "arr_min",
            "arr_max",
            "conditions",
            "schedule_weekday",
            "version",
            "disabled_reason",
            "steps",
        ]
        read_only_fields = fields


class TaskAccountSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class TaskSerializer(serializers.ModelSerializer):
    title = serializers.CharField(source="display_title", read_only=True)
    description = serializers.CharField(source="display_description", read_only=True)
    checklist = serializers.SerializerMethodField()
    account = TaskAccountSerializer(read_only=True)
    assignee = OwnerSerializer(read_only=True, allow_null=True)
    overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = Task
        fields = [
            "id", "account", "assignee", "owner_role", "title", "description", "checklist", "due_date",
            "priority", "task_type", "status", "snoozed_until", "overdue", "playbook", "trigger",
            "episode_key", "completed_at", "touchpoint", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_checklist(self, task: Task) -> list[dict[str, Any]]:
        return [{"text": item["text"], "done": item["done"]} for item in task.display_checklist]


class TaskCreateSerializer(serializers.Serializer):
    """``POST /api/v1/tasks/``: a task by hand, on an account in the caller's scope."""

    account_id = IdField()
    title = serializers.CharField(max_length=300)
    due_date = BoundedDateField()
    assignee_id = IdField(required=False, allow_null=True, default=None)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=TEXT_MAX_LENGTH)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False, default=Priority.MEDIUM)
    task_type = serializers.ChoiceField(choices=TaskType.choices, required=False, default=TaskType.ACTIVITY)
    checklist = serializers.ListField(
        child=serializers.CharField(max_length=300, allow_blank=True), required=False, default=list, max_length=50
    )

    def validate_due_date(self, value: date) -> date:
        if value < timezone.localdate():
            raise serializers.ValidationError(_("The due date cannot be in the past."))
        return value


class TaskCompleteSerializer(serializers.Serializer):
    """Optionally log a touchpoint in the same step."""

    log_touchpoint = serializers.BooleanField(default=False)
    kind = serializers.ChoiceField(choices=TouchpointKind.choices, required=False, default=TouchpointKind.CALL)
    title = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    body = serializers.CharField(required=False, allow_blank=True, default="", max_length=TOUCHPOINT_TEXT_MAX)
    outcome = serializers.CharField(required=False, allow_blank=True, default="", max_length=TOUCHPOINT_TEXT_MAX)


class TaskSnoozeSerializer(serializers.Serializer):
    until = BoundedDateField()


class TaskReassignSerializer(serializers.Serializer):
    task_ids = IdListField(min_length=1, max_length=500)
    assignee_id = IdField()
