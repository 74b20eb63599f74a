from __future__ import annotations

from django.contrib import admin

from .models import AccountStage, Playbook, PlaybookStep, Task, TaskComment


class PlaybookStepInline(admin.TabularInline):
    model = PlaybookStep
    extra = 0
    fields = ["order", "title", "description", "checklist", "due_offset_days", "owner_role", "priority", "task_type"]


@admin.register(Playbook)
class PlaybookAdmin(admin.ModelAdmin):
    list_display = ["__str__", "trigger", "active", "segments", "arr_min", "arr_max"]
    list_filter = ["trigger", "active"]
    search_fields = ["name", "key"]
    inlines = [PlaybookStepInline]


class TaskCommentInline(admin.TabularInline):
    model = TaskComment
    extra = 0
    readonly_fields = ["author", "created_at"]


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ["__str__", "account", "assignee", "due_date", "priority", "status", "trigger"]
    list_filter = ["status", "task_type", "priority", "trigger"]
    search_fields = ["title", "account__name"]
    raw_id_fields = ["account", "assignee", "playbook", "step", "created_by", "completed_by", "touchpoint"]
    list_select_related = ["account", "assignee"]
    inlines = [TaskCommentInline]


@admin.register(AccountStage)
class AccountStageAdmin(admin.ModelAdmin):
    list_display = ["account", "stage", "entered_on", "previous_stage"]
    list_filter = ["stage"]
    raw_id_fields = ["account"]
    list_select_related = ["account"]
