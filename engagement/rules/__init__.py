"""Segment rules: the one place that understands a segment definition.

A definition is JSON, version 1: an OR of blocks, each an AND of
conditions::

    {"version": 1,
     "any": [
       {"all": [{"attribute": "age_group", "operator": "is", "value": "18-24"},
                {"attribute": "gender", "operator": "is", "value": "male"}]},
       {"all": [{"attribute": "store_spend", "operator": "gt", "value": 10}]}]}

Words: the code says ``block`` (one item of ``any``) and ``condition`` (one
item of ``all``); the pages and messages say "OR statement" and "filter".

Values by operator: one value (``is``, ``eq``, ``before``…), a list of 1–100
values (``in``, ``not_in``), a two-item list (``between``, inclusive) or a
number of days 1–3650 (``in_last_days``, ``not_in_last_days``).

One job a module:

- ``registry``: attributes, operators and categories, as data; forms, the
  live estimate and the recompute all read them, nothing else branches on
  attribute keys;
- ``validate``: ``definition_validate`` (the canonical form, or a
  ``ValidationError`` naming each OR statement and filter) and
  ``definition_parse_json``;
- ``text``: the segment definition text (``definition_text``);
- ``compile``: a validated definition, an app and the day of computation
  into a queryset of matching, eligible app customers (``segment_queryset``);
  each eligibility test and each filter also compile alone
  (``eligibility_checks``, ``condition_q``), which explaining one customer's
  membership reads; ``relocated`` moves a compiled ``Q`` onto a table that
  copies the facts (the live estimate's sample).

Callers use the package (``from engagement import rules``); the names below
are its public API. Semantics are product.md §3:

- eligibility: acquired on Windows 10/11, authenticated account, age known and
  at least 17 on the evaluation date;
- a value the customer does not have never matches, ``is_not``/``not_in``/
  ``ne`` included;
- attributes with a 90-day window only see facts dated today − 90 or later;
- age groups follow the birth date on the evaluation date.
"""

from engagement.rules.compile import (
    MIN_AGE,
    NEVER,
    WHITESPACE,
    EligibilityCheck,
    condition_q,
    definition_q,
    eligibility_checks,
    eligible_q,
    eligible_queryset,
    evaluation_date,
    relocated,
    segment_queryset,
    window_q,
)
from engagement.rules.registry import (
    AGE_GROUPS,
    ATTRIBUTES,
    CATEGORIES,
    CHURN_LOW_BELOW,
    CHURN_MEDIUM_BELOW,
    CHURN_RISKS,
    DOMAIN,
    OPERATORS,
    OPERATORS_BY_TYPE,
    WINDOW_DAYS,
    Arity,
    Attribute,
    Operator,
    ValueType,
    attribute_category_key,
    attributes_by_category,
)
from engagement.rules.text import condition_text, definition_text, value_text
from engagement.rules.validate import (
    MAX_BLOCKS,
    MAX_CONDITIONS,
    MAX_DAYS,
    MAX_JSON_BYTES,
    MAX_LIST_VALUES,
    VERSION,
    definition_parse_json,
    definition_problems_shown,
    definition_validate,
)

__all__ = [
    "AGE_GROUPS",
    "ATTRIBUTES",
    "CATEGORIES",
    "CHURN_LOW_BELOW",
    "CHURN_MEDIUM_BELOW",
    "CHURN_RISKS",
    "DOMAIN",
    "MAX_BLOCKS",
    "MAX_CONDITIONS",
    "MAX_DAYS",
    "MAX_JSON_BYTES",
    "MAX_LIST_VALUES",
    "MIN_AGE",
    "NEVER",
    "OPERATORS",
    "OPERATORS_BY_TYPE",
    "VERSION",
    "WHITESPACE",
    "WINDOW_DAYS",
    "Arity",
    "Attribute",
    "EligibilityCheck",
    "Operator",
    "ValueType",
    "attribute_category_key",
    "attributes_by_category",
    "condition_q",
    "condition_text",
    "definition_parse_json",
    "definition_problems_shown",
    "definition_q",
    "definition_text",
    "definition_validate",
    "eligibility_checks",
    "eligible_q",
    "eligible_queryset",
    "evaluation_date",
    "relocated",
    "segment_queryset",
    "value_text",
    "window_q",
]
