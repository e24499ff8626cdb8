from django.urls import path

from . import views
from .enums import IssueAction

app_name = "issues"
urlpatterns = [
    path("", views.my_issues, name="mine"),
    path("raise/", views.raise_issue, name="raise"),
    path("queue/<slug:key>/", views.queue, name="queue"),
    path("desk/whistle/", views.desk_whistle, name="desk-whistle"),
    path("department/", views.department_queue, name="department"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/escalate/", views.act_issue, {"action": IssueAction.ESCALATE}, name="escalate"),
    path("<int:pk>/resolve/", views.act_issue, {"action": IssueAction.RESOLVE}, name="resolve"),
    path("<int:pk>/whistle/", views.act_issue, {"action": IssueAction.WHISTLE}, name="whistle"),
    path("<int:pk>/return/", views.act_issue, {"action": IssueAction.RETURN}, name="return"),
    path("<int:pk>/supervise/", views.act_issue, {"action": IssueAction.SUPERVISE}, name="supervise"),
    path("<int:pk>/feedback/", views.act_issue, {"action": IssueAction.FEEDBACK}, name="feedback"),
    path("assignments/<int:pk>/<slug:action>/", views.act_assignment, name="assignment"),
    path("photos/<int:pk>/", views.photo, name="photo"),
]
