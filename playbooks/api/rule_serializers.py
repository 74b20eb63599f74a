"""Bodies of the playbook writes (managers and admins): the same checks as the builder.

Shapes and bounds here; the rules (a valid condition, a named person who can sign in …)
in ``playbooks.rules.services.playbook_save``, whose errors come back named by field.
"""

from __future__ import annotations

from rest_framework import serializers

from accounts.segments import Segment
from core.api.fields import IdField

from ..models import OwnerRole, Priority, TaskType, TriggerKind
from ..rules.conditions import FIELDS, OPS

SEGMENTS_HELP = "Segment keys: " + ", ".join(Segment.values) + "; empty: every segment."


class ConditionSerializer(serializers.Serializer):
    field = serializers.ChoiceField(choices=list(FIELDS))
    op = serializers.ChoiceField(choices=list(OPS))
    value = serializers.JSONField(
        help_text="A number (as a string or a number), a choice, or a list of choices for `in`."
    )


class PlaybookStepWriteSerializer(serializers.Serializer):
    id = IdField(required=False, allow_null=True, default=None, help_text="An existing step to edit in place.")
    title = serializers.CharField(max_length=300)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    checklist = serializers.ListField(
        child=serializers.CharField(max_length=300), max_length=30, required=False, default=list
    )
    due_offset_days = serializers.IntegerField(min_value=-365, max_value=365, default=7)
    owner_role = serializers.ChoiceField(choices=OwnerRole.choices, default=OwnerRole.CSM)
    named_user_id = IdField(required=False, allow_null=True, default=None)
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.MEDIUM)
    task_type = serializers.ChoiceField(choices=TaskType.choices, default=TaskType.LIFECYCLE)


class PlaybookWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    trigger = serializers.ChoiceField(choices=TriggerKind.choices)
    schedule_weekday = serializers.IntegerField(min_value=0, max_value=6, required=False, allow_null=True, default=None)
    # Checked by the service (the keys of ``accounts.segments.Segment``).
    segments = serializers.ListField(
        child=serializers.CharField(max_length=20), max_length=4, required=False, default=list, help_text=SEGMENTS_HELP
    )
    arr_min = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True, default=None
    )
    arr_max = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True, default=None
    )
    conditions = ConditionSerializer(many=True, required=False, default=list)
    steps = PlaybookStepWriteSerializer(many=True)


class PlaybookPreviewAccountSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class PlaybookPreviewSerializer(serializers.Serializer):
    count = serializers.IntegerField(read_only=True)
    accounts = PlaybookPreviewAccountSerializer(many=True, read_only=True)
    error = serializers.CharField(read_only=True)


class PlaybookDryRunSerializer(serializers.Serializer):
    supported = serializers.BooleanField(read_only=True)
    days = serializers.IntegerField(read_only=True)
    tasks = serializers.IntegerField(read_only=True)
    accounts = serializers.IntegerField(read_only=True)
    firings = serializers.IntegerField(read_only=True)
    error = serializers.CharField(read_only=True)
