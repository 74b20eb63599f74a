"""URLs of the people pages (``/people/``, namespace ``people``) and of one's sessions
(``/security/sessions/``, namespace ``sessions``); the invitation link is ``invite_accept``."""

from __future__ import annotations

from django.urls import path

from . import views

people_urlpatterns = [
    path("", views.people_view, name="list"),
    path("invite/", views.person_invite_view, name="invite"),
    path("<int:pk>/", views.person_detail_view, name="detail"),
    path("<int:pk>/deactivate/", views.person_deactivate_view, name="deactivate"),
    path("<int:pk>/reactivate/", views.person_reactivate_view, name="reactivate"),
    path("<int:pk>/resend-invitation/", views.invitation_resend_view, name="resend_invitation"),
    path("<int:pk>/end-sessions/", views.person_sessions_end_view, name="end_sessions"),
]

sessions_urlpatterns = [
    path("", views.sessions_view, name="list"),
    path("<int:pk>/end/", views.session_end_view, name="end"),
    path("end-others/", views.sessions_end_others_view, name="end_others"),
]
