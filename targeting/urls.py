from django.urls import path

from targeting.views import offers

app_name = "targeting"

urlpatterns = [
    # Targeted offers
    path("offers/", offers.offer_apps, name="offer_apps"),
    path("apps/<id:app_pk>/offers/", offers.app_offer_list, name="offer_list"),
    path("apps/<id:app_pk>/offers/new/", offers.offer_create, name="offer_create"),
    path("offers/<id:pk>/edit/", offers.offer_edit, name="offer_edit"),
    path("offers/<id:pk>/delete/", offers.offer_delete, name="offer_delete"),
]
