"""The inbox and the channel pages, mounted at the site root (config/urls.py): the paths are the ones they had
under members (/inbox/, /me/channels/, /deliveries/, /channels/receipts/...), which phones have bookmarked and
providers call back."""

from django.urls import include, path

from . import views

app_name = "notifications"
urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:pk>/read/", views.inbox_read, name="inbox-read"),
    path("inbox/read-all/", views.inbox_read_all, name="inbox-read-all"),
    path("", include("notifications.channels.urls")),
]
