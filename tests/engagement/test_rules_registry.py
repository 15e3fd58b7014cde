"""The registries of segment rules hold product.md §3's tables as data.

Attributes name their category by key, operators exist for every type, the
age and churn buckets are the product's, and a per-attribute hook (not a
test of the attribute's key) normalises a typed choice.
"""

from __future__ import annotations

import dataclasses

from engagement.rules import (
    AGE_GROUPS,
    ATTRIBUTES,
    CATEGORIES,
    CHURN_RISKS,
    OPERATORS,
    OPERATORS_BY_TYPE,
    attribute_category_key,
    attributes_by_category,
    definition_validate,
)

# product.md §3, "Attributes (key — category — label — type — 90-day window)".
PRODUCT_CATEGORIES = {
    "acquisitions": ["acquisition_date", "acquisition_type"],
    "acquisition_source": ["campaign_id", "referrer_domain", "store_page_view_date"],
    "usage": ["last_active_date", "sessions_30d"],
    "demographic": ["age_group", "gender", "market"],
    "rating": ["has_rated", "rating"],
    "churn_prediction": ["churn_risk"],
    "store_purchases": ["store_purchaser", "store_purchase_count"],
    "store_acquisitions": ["store_acquisition_count"],
    "store_spend": ["store_spend", "app_spend"],
}


def test_attributes_are_grouped_by_their_category_key_in_the_product_order():
    grouped = attributes_by_category()
    assert list(grouped) == list(CATEGORIES)
    assert {
        key: [a.key for a in attributes] for key, attributes in grouped.items()
    } == PRODUCT_CATEGORIES


def test_the_category_key_is_the_one_the_attribute_stores():
    for attribute in ATTRIBUTES.values():
        assert attribute_category_key(attribute) == attribute.category
        assert attribute.category in CATEGORIES
    # Not found by label: an attribute moved to another category (whose
    # label object is another one) reports the category it names.
    moved = dataclasses.replace(ATTRIBUTES["rating"], category="churn_prediction")
    assert attribute_category_key(moved) == "churn_prediction"


def test_a_choice_is_normalised_by_its_attribute_hook(monkeypatch):
    def condition(attribute, value):
        definition = {
            "version": 1,
            "any": [
                {"all": [{"attribute": attribute, "operator": "is", "value": value}]}
            ],
        }
        return definition_validate(definition)["any"][0]["all"][0]["value"]

    assert condition("market", " fr ") == "FR"
    assert [a.key for a in ATTRIBUTES.values() if a.normalise] == ["market"]
    monkeypatch.setitem(
        ATTRIBUTES,
        "gender",
        dataclasses.replace(ATTRIBUTES["gender"], normalise=str.lower),
    )
    assert condition("gender", "MALE") == "male"


def test_every_operator_of_every_type_exists_in_the_operator_registry():
    for operators in OPERATORS_BY_TYPE.values():
        assert set(operators) <= set(OPERATORS)
    assert set(OPERATORS_BY_TYPE["date"]) == {
        "before",
        "after",
        "between",
        "in_last_days",
        "not_in_last_days",
    }
    assert OPERATORS_BY_TYPE["boolean"] == ("is",)


def test_age_group_and_churn_registries_name_the_product_buckets():
    assert list(AGE_GROUPS) == ["18-24", "25-34", "35-49", "50+"]
    assert list(CHURN_RISKS) == ["low", "medium", "high"]
