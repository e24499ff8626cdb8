from django.urls import path

from . import views

app_name = "rewards"
urlpatterns = [
    path("", views.round_list, name="round-list"),
    path("<int:pk>/", views.round_detail, name="round-detail"),
    path("<int:pk>/results/", views.round_results, name="round-results"),
    path("<int:pk>/ledger.xlsx", views.payout_ledger, name="payout-ledger"),
    path("<int:pk>/period/", views.round_period, name="round-period"),
    path("<int:pk>/weights/", views.round_weights, name="round-weights"),
    path("<int:pk>/types/add/", views.award_type_save, name="type-add"),
    path("<int:pk>/types/<int:type_pk>/edit/", views.award_type_save, name="type-edit"),
    path("<int:pk>/types/<int:type_pk>/delete/", views.award_type_delete, name="type-delete"),
    path("<int:pk>/types/<int:type_pk>/", views.ranking, name="ranking"),
    path("<int:pk>/types/<int:type_pk>/nominate/", views.nominate, name="nominate"),
    path("<int:pk>/types/<int:type_pk>/fill/", views.nominate_fill, name="nominate-fill"),
    path("<int:pk>/nominations/<int:nomination_pk>/withdraw/", views.nomination_withdraw, name="withdraw"),
    path("<int:pk>/<str:action>/", views.round_transition, name="transition"),
    path("flags/member/<int:pk>/", views.member_flags, name="member-flags"),
    path("flags/place/<int:pk>/", views.place_flags, name="place-flags"),
    path("corrections/", views.corrections, name="corrections"),
    path("corrections/<int:pk>/close/", views.correction_close, name="correction-close"),
]
