from __future__ import annotations

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import urls as accounts_urls
from capacity import urls as capacity_urls
from capacity import views as capacity_views
from core import views as core_views
from core.api.docs import ApiDocsPermission, docs_page
from org import urls as org_urls
from org import views as org_views
from org.columns import column_preference_view
from org.sso_views import SsoLoginForm
from workspace import urls as workspace_urls
from workspace.my_day import my_day_view
from workspace.system import views as system_views

# Django admin carries the product's name, in the reader's language.
admin.site.site_header = _("Hourglass administration")
admin.site.site_title = _("Hourglass admin")
admin.site.index_title = _("Site administration")

api_v1 = [
    path("", include("workspace.api")),
    path("", include("workspace.segments.api")),
    path("", include("accounts.api.urls")),
    path("", include("health.api.urls")),
    path("", include("renewals.api.urls")),
    path("", include("playbooks.api.urls")),
    path("", include("capacity.api.urls")),
    path("", include("knowledge.api.urls")),
    path("", include("outreach.api.urls")),
    path("", include("integrations.webhooks.api_urls")),
    path("", include("integrations.inbox.api_urls")),
    path("", include("integrations.crm.api_urls")),
    path("", include("integrations.digests.api_urls")),
]

urlpatterns = [
    path("", include("core.urls")),
    path("healthz", core_views.healthz, name="healthz"),
    path("metrics", system_views.metrics_view, name="metrics"),
    path("system/", include("workspace.system.urls")),
    path("i18n/setlang/", capacity_views.language_set_view, name="set_language"),
    path("notifications/", core_views.notifications_view, name="notifications"),
    path("api-token/", core_views.api_token_view, name="api_token"),
    path("preferences/columns/<slug:table>/", column_preference_view, name="column_preference"),
    path("security/two-factor/", include("org.two_factor.urls")),
    path("login/", auth_views.LoginView.as_view(authentication_form=SsoLoginForm), name="login"),
    path("oidc/", include("org.sso_urls")),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Django's password change; the person's other sessions end with it.
    path("password/", org_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("my-day/", my_day_view, name="my_day"),
    path("search/", include((workspace_urls.search_urlpatterns, "search"))),
    path("people/", include((org_urls.people_urlpatterns, "people"))),
    path("invite/<str:uidb64>/<str:token>/", org_views.invite_accept_view, name="invite_accept"),
    path("security/sessions/", include((org_urls.sessions_urlpatterns, "sessions"))),
    # The workspace screens keep the URL names of the apps they grew out of.
    path("accounts/", include((workspace_urls.accounts_urlpatterns + accounts_urls.urlpatterns, "accounts"))),
    path("renewals/", include("renewals.urls")),
    path("tasks/", include("playbooks.urls")),
    path("playbooks/", include("playbooks.rules.urls")),
    path("health/", include("health.urls")),
    path("capacity/", include((workspace_urls.capacity_urlpatterns + capacity_urls.urlpatterns, "capacity"))),
    path("knowledge/", include("knowledge.urls")),
    path("outreach/", include("outreach.urls")),
    path("audit/", include("workspace.audit.urls")),
    path("settings/", include("workspace.settings.urls")),
    path("integrations/webhooks/", include("integrations.webhooks.urls")),
    path("integrations/inbox/", include("integrations.inbox.urls")),
    path("integrations/crm/", include("integrations.crm.urls")),
    path("integrations/notifications/", include("integrations.digests.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(permission_classes=[ApiDocsPermission]), name="schema"),
    # The split view serves Swagger UI's start-up script as a file (no inline script);
    # its stylesheet block is inline, so only this page allows inline styles.
    path(
        "api/docs/",
        docs_page(
            csp_update({"style-src": [UNSAFE_INLINE]})(
                SpectacularSwaggerSplitView.as_view(url_name="schema", permission_classes=[ApiDocsPermission])
            )
        ),
        name="swagger-ui",
    ),
]

# An unknown /api/ URL answers in JSON like every other API error.
handler404 = "core.views.not_found"
# A production 500 under /api/ is JSON too (the HTML page elsewhere).
handler500 = "core.views.server_error"
handler400 = "core.views.bad_request"
