from django.urls import path

from . import views

app_name = "visits"
urlpatterns = [
    path("", views.workspace, name="workspace"),
    path("households/<int:pk>/", views.household_page, name="household"),
    path("households/<int:pk>/record/", views.household_record, name="household-record"),
    path("places/<int:pk>/", views.place_page, name="place"),
    path("places/<int:pk>/record/", views.place_record, name="place-record"),
    path("contacts/<int:pk>/", views.contact_detail, name="contact"),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="contact-edit"),
    path("photos/<int:pk>/", views.contact_photo, name="photo"),
    path("compliance/", views.compliance_home, name="compliance-home"),
    path("compliance/<int:pk>/", views.compliance_place, name="compliance"),
]
