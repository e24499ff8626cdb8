from django.urls import path

from . import views

app_name = "activities"
urlpatterns = [
    path("", views.activity_list, name="list"),
    path("calendar/", views.calendar, name="calendar"),
    path("ledger.xlsx", views.ledger, name="ledger"),
    path("teams/", views.team_list, name="teams"),
    path("teams/<int:pk>/", views.team_detail, name="team"),
    path("<int:pk>/", views.activity_detail, name="detail"),
    path("<int:pk>/signup/", views.activity_signup, name="signup"),
    path("<int:pk>/attendance/", views.activity_attendance, name="attendance"),
    path("<int:pk>/photos/", views.photos_upload, name="photos"),
    path("photos/<int:pk>/", views.activity_photo, name="photo"),
    path("photos/<int:pk>/thumb/", views.activity_photo, {"thumb": True}, name="photo-thumb"),
    path("photos/<int:pk>/delete/", views.photo_delete, name="photo-delete"),
    path("<int:pk>/yard-meeting/", views.session_yard_meeting, name="yard-meeting"),
]
