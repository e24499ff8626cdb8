from django.urls import path

from . import city_views, views

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("places/<int:pk>/", views.place_dashboard, name="place"),
    path("places/<int:pk>/export/", views.export_request_view, name="export"),
    path("members/<int:pk>/", views.member_detail, name="member"),
    path("assessment/<int:pk>/", views.assessment_view, name="assessment"),
    path("assessment/<int:pk>/compute/", views.assessment_compute_view, name="assessment-compute"),
    path("assessment/<int:pk>/approve/", views.assessment_approve_view, name="assessment-approve"),
    path("city/", city_views.city_home, name="city-home"),
    path("city/<int:pk>/", city_views.city_dashboard, name="city"),
    path("city/<int:pk>/departments/", city_views.city_departments, name="city-departments"),
    path("city/department/", city_views.city_department, name="city-department"),
    path("exports/", views.export_list, name="exports"),
    # By id, never by token: URLs end up in access logs; the view checks the requester and the expiry.
    path("exports/<int:pk>/download/", views.export_download, name="export-download"),
]
