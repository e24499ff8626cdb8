from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("places/<int:pk>/", views.place_dashboard, name="place"),
    path("places/<int:pk>/export/", views.export_request_view, name="export"),
    path("members/<int:pk>/", views.member_detail, name="member"),
    path("assessment/<int:pk>/", views.assessment_view, name="assessment"),
    path("assessment/<int:pk>/compute/", views.assessment_compute_view, name="assessment-compute"),
    path("assessment/<int:pk>/approve/", views.assessment_approve_view, name="assessment-approve"),
    path("exports/", views.export_list, name="exports"),
    # By id, never by token: URLs end up in access logs; the view checks the requester and the expiry.
    path("exports/<int:pk>/download/", views.export_download, name="export-download"),
]
