from __future__ import annotations

from django.contrib import admin

from .models import (
    Campaign,
    CampaignAccount,
    Case,
    CaseShare,
    CompanySize,
    FeedbackLink,
    FeedbackRequest,
    FeedbackStatusChange,
)


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ["title", "industry", "size_band", "arr_band", "status", "author", "updated_at"]
    list_filter = ["status", "industry", "size_band", "arr_band"]
    search_fields = ["title", "problem", "approach", "result"]
    raw_id_fields = ["source_account", "author", "reviewed_by"]


@admin.register(CaseShare)
class CaseShareAdmin(admin.ModelAdmin):
    list_display = ["case", "account", "shared_by", "shared_at"]
    raw_id_fields = ["case", "account", "shared_by"]


@admin.register(CompanySize)
class CompanySizeAdmin(admin.ModelAdmin):
    list_display = ["account", "size_band"]
    list_filter = ["size_band"]
    raw_id_fields = ["account"]


class FeedbackLinkInline(admin.TabularInline):
    model = FeedbackLink
    extra = 0
    raw_id_fields = ["account", "raised_by"]


@admin.register(FeedbackRequest)
class FeedbackRequestAdmin(admin.ModelAdmin):
    list_display = ["title", "status", "merged_into", "created_at"]
    list_filter = ["status"]
    search_fields = ["title", "problem"]
    raw_id_fields = ["merged_into", "created_by"]
    inlines = [FeedbackLinkInline]


@admin.register(FeedbackLink)
class FeedbackLinkAdmin(admin.ModelAdmin):
    list_display = ["request", "account", "urgency", "roi_estimate", "raised_by", "created_at"]
    list_filter = ["urgency"]
    raw_id_fields = ["request", "account", "raised_by"]


@admin.register(FeedbackStatusChange)
class FeedbackStatusChangeAdmin(admin.ModelAdmin):
    list_display = ["request", "old_status", "new_status", "actor", "created_at"]
    raw_id_fields = ["request", "actor"]


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "feature", "status", "launched_at", "stall_days"]
    list_filter = ["status"]
    raw_id_fields = ["feedback_request", "created_by"]


@admin.register(CampaignAccount)
class CampaignAccountAdmin(admin.ModelAdmin):
    list_display = ["campaign", "account", "task", "stall_task", "targeted_at"]
    raw_id_fields = ["campaign", "account", "task", "stall_task"]
