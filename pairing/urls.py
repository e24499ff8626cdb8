from django.urls import path

from . import views

app_name = "pairing"
urlpatterns = [
    path("", views.pairing_home, name="home"),
    path("batches/<int:pk>/", views.batch_detail, name="batch"),
    path("batches/<int:pk>/apply/", views.batch_apply, name="apply"),
    path("batches/<int:pk>/discard/", views.batch_discard, name="discard"),
    path("lines/<int:pk>/drop/", views.line_drop, name="line-drop"),
    path("lines/<int:pk>/move/", views.line_move, name="line-move"),
]
