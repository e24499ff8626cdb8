"""Included by notifications/urls.py (namespace "notifications")."""

from django.urls import path

from . import receipts, views

urlpatterns = [
    path("me/channels/", views.my_channels, name="my-channels"),
    path("deliveries/", views.deliveries, name="deliveries"),
    path("deliveries/<int:pk>/resend/", views.delivery_resend, name="delivery-resend"),
    path("channels/receipts/tencent/<str:token>/", receipts.tencent_receipt, name="receipt-tencent"),
    path("channels/receipts/aliyun/<str:token>/", receipts.aliyun_receipt, name="receipt-aliyun"),
]
