from django.urls import path

from customers import views

urlpatterns = [
    path("", views.home, name="home"),
    path("partner/switch/", views.partner_switch, name="partner_switch"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
]
