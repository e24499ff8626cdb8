from django.urls import path

from . import views

app_name = "members"
urlpatterns = [
    path("checks/", views.link_checks, name="link-checks"),
    path("households/<int:pk>/", views.household_detail, name="household-detail"),
]
