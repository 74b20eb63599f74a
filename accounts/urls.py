from __future__ import annotations

from django.urls import path

from . import privacy_views, views

# The book (the list), its CSV export, the account page and its timeline are workspace
# screens: config/urls.py puts them in this namespace beside these.
app_name = "accounts"

urlpatterns = [
    path("reviews/", views.review_queue_view, name="review_queue"),
    path("import/", views.import_view, name="import"),
    path("import/<int:run_pk>/", views.import_result_view, name="import_result"),
    path("import/<int:run_pk>/rejected.csv", views.import_rejected_csv_view, name="import_rejected"),
    path("contacts/overdue/", views.overdue_contacts_view, name="overdue_contacts"),
    path("contacts/<int:stakeholder_pk>/touch/", views.contact_touch_view, name="contact_touch"),
    path("<int:pk>/review/", views.dossier_review_view, name="review"),
    path("<int:pk>/dossier/<str:key>/", views.dossier_section_view, name="dossier_section"),
    path("<int:pk>/dossier/<str:key>/edit/", views.dossier_section_edit_view, name="dossier_edit"),
    path("<int:pk>/dossier/<str:key>/history/", views.dossier_section_history_view, name="dossier_history"),
    path("new/", views.account_create_view, name="create"),
    path("<int:pk>/edit/", views.account_edit_view, name="edit"),
    path("<int:pk>/stakeholders/new/", views.stakeholder_edit_view, name="stakeholder_create"),
    path("<int:pk>/stakeholders/<int:stakeholder_pk>/edit/", views.stakeholder_edit_view, name="stakeholder_edit"),
    path("<int:pk>/stakeholders/<int:stakeholder_pk>/left/", views.stakeholder_left_view, name="stakeholder_left"),
    path(
        "<int:pk>/stakeholders/<int:stakeholder_pk>/undo-left/",
        views.stakeholder_undo_left_view,
        name="stakeholder_undo_left",
    ),
    path("<int:pk>/risks/<int:flag_pk>/resolve/", views.risk_flag_resolve_view, name="risk_resolve"),
    path(
        "<int:pk>/stakeholders/<int:stakeholder_pk>/personal-data.json",
        privacy_views.stakeholder_export_view,
        name="stakeholder_export",
    ),
    path(
        "<int:pk>/stakeholders/<int:stakeholder_pk>/erase/",
        privacy_views.stakeholder_erase_view,
        name="stakeholder_erase",
    ),
]
