from django.urls import include, path

from . import inbox_views, views

app_name = "members"
urlpatterns = [
    path("checks/", views.link_checks, name="link-checks"),
    path("households/<int:pk>/", views.household_detail, name="household-detail"),
    path("inbox/", inbox_views.inbox, name="inbox"),
    path("inbox/<int:pk>/read/", inbox_views.inbox_read, name="inbox-read"),
    path("inbox/read-all/", inbox_views.inbox_read_all, name="inbox-read-all"),
    path("census/", views.census_upload, name="census-import"),
    path("census/template.xlsx", views.census_template_download, name="census-template"),
    path("census/preview/", views.census_preview, name="census-preview"),
    path("census/confirm/", views.census_confirm, name="census-confirm"),
    path("census/cancel/", views.census_cancel, name="census-cancel"),
    path("", include("members.channels.urls")),
]
