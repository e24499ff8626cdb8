from django.urls import path

from . import views

app_name = "verification"

urlpatterns = [
    path("", views.index, name="index"),
    path("flags/<int:pk>/", views.flag_detail, name="flag"),
    path("calls/", views.calls, name="calls"),
    path("calls/<int:pk>/record/", views.call_record, name="call-record"),
    path("calls/ledger.xlsx", views.calls_ledger, name="calls-ledger"),
    path("cases/", views.cases, name="cases"),
    path("cases/<int:pk>/", views.case_detail, name="case"),
    path("locations/", views.locations, name="locations"),
]
