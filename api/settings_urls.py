"""The partner settings pages of the API: partner tokens (api/views/tokens.py)."""

from django.urls import path

from api.views import tokens

app_name = "api_settings"

urlpatterns = [
    path("api-tokens/", tokens.token_list, name="token_list"),
    path("api-tokens/new/", tokens.token_create, name="token_create"),
    path("api-tokens/<id:pk>/revoke/", tokens.token_revoke, name="token_revoke"),
]
