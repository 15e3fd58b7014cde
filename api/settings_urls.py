"""The partner settings pages of the API: partner tokens (api/views/tokens.py)."""


app_name = "api_settings"

urlpatterns: list = []
