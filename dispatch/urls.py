from django.urls import path

from . import views

app_name = "dispatch"
urlpatterns = [
    path("jobs/", views.jobs, name="jobs"),
    path("orders/", views.orders, name="orders"),
    path("orders/new/", views.order_new, name="order-new"),
    path("orders/<int:pk>/", views.order_detail, name="order-detail"),
    path("orders/<int:pk>/ack/", views.order_ack, name="order-ack"),
    path("orders/<int:pk>/done/", views.order_done, name="order-done"),
    path("orders/<int:pk>/attachment/", views.order_attachment, name="order-attachment"),
    path("tasks/", views.my_task_list, name="my-task-list"),
    path("tasks/<int:pk>/", views.task_list_detail, name="task-list"),
    path("tasks/<int:pk>/xlsx/", views.task_list_xlsx, name="task-list-xlsx"),
    path("reviews/", views.reviews, name="reviews"),
    path("reviews/<int:pk>/", views.review_detail, name="review-detail"),
]
