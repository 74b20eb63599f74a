"""Tasks and playbooks over HTTP: the same scope and services as the pages."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.selectors import account_scope
from core.clock import local_date

from ..filters import TaskFilter
from ..models import Playbook, Task
from ..rules.evaluate import as_dict, rule_dry_run, rule_preview
from ..rules.services import can_edit_playbooks, playbook_save
from ..selectors import get_task_for_user, playbook_list, task_list
from ..services import task_complete, task_create, task_reassign, task_snooze
from .rule_serializers import PlaybookDryRunSerializer, PlaybookPreviewSerializer, PlaybookWriteSerializer
from .serializers import (
    PlaybookSerializer,
    TaskCompleteSerializer,
    TaskCreateSerializer,
    TaskReassignSerializer,
    TaskSerializer,
    TaskSnoozeSerializer,
)

API_FIELDS = {"account": "account_id", "assignee": "assignee_id"}


def _as_drf(error: DjangoValidationError) -> ValidationError:
    """A service's error as a 400, named by the API's field (``assignee`` → ``assignee_id``)."""
    if not hasattr(error, "error_dict"):
        return ValidationError({"detail": error.messages})
    return ValidationError({API_FIELDS.get(name, name): messages for name, messages in error.message_dict.items()})


class TaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Tasks in the caller's scope (their accounts' tasks and tasks assigned to them)."""

    serializer_class = TaskSerializer
    filterset_class = TaskFilter

    def get_queryset(self) -> QuerySet[Task]:
        return task_list(user=self.request.user)

    def get_object(self) -> Task:
        return get_task_for_user(self.request.user, self.kwargs["pk"])

    @extend_schema(request=TaskCreateSerializer, responses={201: TaskSerializer})
    def create(self, request: Request) -> Response:
        """Create a task by hand; errors are named by field (``account_id``, ``assignee_id`` …)."""
        incoming = TaskCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        # Outside the caller's scope reads the same as "no such account": nothing leaks.
        account = account_scope(user=request.user).filter(pk=data.pop("account_id")).select_related("owner").first()
        if account is None:
            raise ValidationError({"account_id": [_("No such account, or not one of yours.")]})
        assignee = None
        assignee_id = data.pop("assignee_id")
        if assignee_id is not None:
            assignee = get_user_model().objects.filter(pk=assignee_id, is_active=True).first()
            if assignee is None:
                # The service's words for someone outside the caller's team.
                raise ValidationError({"assignee_id": [_("Not a person you can assign.")]})
        try:
            task = task_create(actor=request.user, account=account, assignee=assignee, **data)
        except DjangoValidationError as error:
            raise _as_drf(error) from error
        return Response(TaskSerializer(get_task_for_user(request.user, task.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TaskCompleteSerializer, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str | None = None) -> Response:
        task = self.get_object()  # scope first: outside it, a 404 whatever the body
        incoming = TaskCompleteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        touch = None
        if data.pop("log_touchpoint"):
            touch = {**data, "title": data["title"] or task.display_title}
        try:
            task = task_complete(task=task, actor=request.user, log_touchpoint=touch)
        except DjangoValidationError as error:
            raise _as_drf(error) from error
        return Response(TaskSerializer(self.get_object()).data)

    @extend_schema(request=TaskSnoozeSerializer, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def snooze(self, request: Request, pk: str | None = None) -> Response:
        task = self.get_object()
        incoming = TaskSnoozeSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            task_snooze(task=task, until=incoming.validated_data["until"], actor=request.user)
        except DjangoValidationError as error:
            raise _as_drf(error) from error
        return Response(TaskSerializer(self.get_object()).data)

    @extend_schema(request=TaskReassignSerializer, responses={200: dict})
    @action(detail=False, methods=["post"])
    def reassign(self, request: Request) -> Response:
        """Reassign one or many tasks; the assignee must be someone you may assign accounts to."""
        incoming = TaskReassignSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        wanted = set(incoming.validated_data["task_ids"])
        tasks = list(self.get_queryset().filter(pk__in=wanted))
        if len(tasks) != len(wanted):
            raise ValidationError({"task_ids": ["No such task, or not one of yours."]})
        assignee = get_user_model().objects.filter(pk=incoming.validated_data["assignee_id"]).first()
        try:
            moved = task_reassign(tasks=tasks, assignee=assignee, actor=request.user)
        except DjangoValidationError as error:
            raise _as_drf(error) from error
        return Response({"reassigned": moved}, status=status.HTTP_200_OK)


class PlaybookViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The playbooks and rules: everyone reads; managers and admins create and edit them
    (``PUT`` replaces the playbook and its steps; steps sent with their ``id`` are edited in
    place), with the builder's checks. A new playbook is off: preview it, then enable it."""

    serializer_class = PlaybookSerializer
    filterset_fields = ["trigger", "active"]

    def get_queryset(self) -> QuerySet[Playbook]:
        return playbook_list()

    def _write(self, request: Request, playbook: Playbook | None) -> Playbook:
        if not can_edit_playbooks(request.user):
            raise PermissionDenied(_("Only managers and admins edit playbooks."))
        incoming = PlaybookWriteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        steps = [{**step, "named_user": step.pop("named_user_id")} for step in data.pop("steps")]
        conditions = data.pop("conditions")
        try:
            return playbook_save(actor=request.user, playbook=playbook, fields=data, conditions=conditions, steps=steps)
        except DjangoValidationError as error:
            raise _as_drf(error) from error

    @extend_schema(request=PlaybookWriteSerializer, responses={201: PlaybookSerializer})
    def create(self, request: Request) -> Response:
        playbook = self._write(request, None)
        return Response(
            PlaybookSerializer(self.get_queryset().get(pk=playbook.pk)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=PlaybookWriteSerializer, responses=PlaybookSerializer)
    def update(self, request: Request, pk: str | None = None) -> Response:
        playbook = self._write(request, self.get_object())
        return Response(PlaybookSerializer(self.get_queryset().get(pk=playbook.pk)).data)

    @extend_schema(responses=PlaybookPreviewSerializer)
    @action(detail=True, methods=["get"])
    def preview(self, request: Request, pk: str | None = None) -> Response:
        """The caller's accounts the rule matches now: the count and the first 20."""
        result = rule_preview(self.get_object(), user=request.user, today=local_date())
        return Response(PlaybookPreviewSerializer(result).data)

    @extend_schema(responses=PlaybookDryRunSerializer)
    @action(detail=True, methods=["get"], url_path="dry-run")
    def dry_run(self, request: Request, pk: str | None = None) -> Response:
        """What the rule would have created over the last 30 days (writes nothing)."""
        return Response(as_dict(rule_dry_run(self.get_object(), user=request.user, today=local_date())))
