"""The API under /api/v1/ (README "API")."""


app_name = "api"

urlpatterns: list = []
