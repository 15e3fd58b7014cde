from django.urls import path

from targeting.views import audience, flights, offers

app_name = "targeting"

urlpatterns = [
    # Package flights
    path("flights/", flights.flight_apps, name="flight_apps"),
    path("apps/<id:app_pk>/flights/", flights.app_flight_list, name="app_flight_list"),
    path(
        "apps/<id:app_pk>/flights/new/",
        flights.app_flight_create,
        name="app_flight_create",
    ),
    path("flights/<id:pk>/edit/", flights.flight_edit, name="flight_edit"),
    path("flights/<id:pk>/move/", flights.flight_move, name="flight_move"),
    path("flights/<id:pk>/delete/", flights.flight_delete, name="flight_delete"),
    # Audience
    path("apps/<id:app_pk>/audience/", audience.app_audience, name="app_audience"),
    # Targeted offers
    path("offers/", offers.offer_apps, name="offer_apps"),
    path("apps/<id:app_pk>/offers/", offers.app_offer_list, name="offer_list"),
    path("apps/<id:app_pk>/offers/new/", offers.offer_create, name="offer_create"),
    path("offers/<id:pk>/edit/", offers.offer_edit, name="offer_edit"),
    path("offers/<id:pk>/delete/", offers.offer_delete, name="offer_delete"),
]
