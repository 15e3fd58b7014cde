"""Read use cases of the API: tokens, what store services ask about one
customer, and a partner's groups."""

from api.selectors.partner import (
    partner_group_get,
    partner_group_list,
    partner_known_user_group_get,
)
from api.selectors.store import (
    StoreTargeting,
    store_app_customer_get,
    store_app_get,
    store_customer_get,
    store_customer_targeting,
)
from api.selectors.tokens import api_token_list

__all__ = [
    "StoreTargeting",
    "api_token_list",
    "partner_group_get",
    "partner_group_list",
    "partner_known_user_group_get",
    "store_app_customer_get",
    "store_app_get",
    "store_customer_get",
    "store_customer_targeting",
]
