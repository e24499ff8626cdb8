from django.urls import path

from . import views

app_name = "members"
urlpatterns = [
    path("checks/", views.link_checks, name="link-checks"),
    path("households/<int:pk>/", views.household_detail, name="household-detail"),
    path("census/", views.census_upload, name="census-import"),
    path("census/template.xlsx", views.census_template_download, name="census-template"),
    path("census/preview/", views.census_preview, name="census-preview"),
    path("census/confirm/", views.census_confirm, name="census-confirm"),
    path("census/cancel/", views.census_cancel, name="census-cancel"),
]
