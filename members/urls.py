from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from . import privacy_views, views

app_name = "members"
urlpatterns = [
    path("checks/", views.link_checks, name="link-checks"),
    path("households/<int:pk>/", views.household_detail, name="household-detail"),
    path("census/", views.census_upload, name="census-import"),
    path("census/template.xlsx", views.census_template_download, name="census-template"),
    path("census/preview/", views.census_preview, name="census-preview"),
    path("census/confirm/", views.census_confirm, name="census-confirm"),
    path("census/cancel/", views.census_cancel, name="census-cancel"),
    # Changing one's password ends one's other sessions (members/sessions.py); this one stays logged in.
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(success_url=reverse_lazy("members:password-change-done")),
        name="password-change",
    ),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password-change-done"),
    path("reveal/<str:kind>/<int:pk>/<str:field>/", privacy_views.reveal, name="reveal"),
]
