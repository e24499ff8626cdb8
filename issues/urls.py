from django.urls import path

from . import views

app_name = "issues"
urlpatterns = [
    path("", views.my_issues, name="mine"),
    path("raise/", views.raise_issue, name="raise"),
    path("queue/<slug:key>/", views.queue, name="queue"),
    path("desk/whistle/", views.desk_whistle, name="desk-whistle"),
    path("department/", views.department_queue, name="department"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/escalate/", views.act_escalate, name="escalate"),
    path("<int:pk>/resolve/", views.act_resolve, name="resolve"),
    path("<int:pk>/whistle/", views.act_whistle, name="whistle"),
    path("<int:pk>/return/", views.act_return, name="return"),
    path("<int:pk>/supervise/", views.act_supervise, name="supervise"),
    path("<int:pk>/feedback/", views.act_feedback, name="feedback"),
    path("assignments/<int:pk>/<slug:action>/", views.act_assignment, name="assignment"),
    path("photos/<int:pk>/", views.photo, name="photo"),
]
