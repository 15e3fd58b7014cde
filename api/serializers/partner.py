"""What partners send and get back: their groups, with counts only for
segments (product.md §6.6: never who is in one)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.serializers.store import AppSerializer
from engagement.models import CustomerGroup, GroupKind, SegmentStatus
from engagement.selectors.segments import stored_definition_read


def _segment_size(segment: Any) -> int | None:
    """A segment's size as the dashboard shows it: none before its first
    computation, and none when Small (below ``SEGMENT_MIN_SIZE``)."""
    if segment.member_count is None or segment.is_small:
        return None
    return segment.member_count


class GroupSerializer(serializers.Serializer):
    """One group of the partner's: a segment or a known user group."""

    id = serializers.IntegerField(source="pk")
    kind = serializers.ChoiceField(choices=GroupKind.choices)
    name = serializers.CharField()
    app = serializers.SerializerMethodField(
        help_text="A segment's app; null for a known user group."
    )
    status = serializers.SerializerMethodField(
        help_text="A segment's status; null for a known user group."
    )
    small = serializers.SerializerMethodField(
        help_text=(
            "A segment below the minimum size: inactive, its size not shown. "
            "Always false for a known user group."
        )
    )
    size = serializers.SerializerMethodField(
        help_text=(
            "Members: a segment's customers (null while Small or never "
            "computed), a known user group's addresses matched to an account."
        )
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @staticmethod
    def _segment(group: CustomerGroup) -> Any:
        return group.segment if group.kind == GroupKind.SEGMENT else None

    @extend_schema_field(AppSerializer(allow_null=True))
    def get_app(self, group: CustomerGroup) -> dict | None:
        segment = self._segment(group)
        return None if segment is None else AppSerializer(segment.app).data

    @extend_schema_field(
        serializers.ChoiceField(choices=SegmentStatus.choices, allow_null=True)
    )
    def get_status(self, group: CustomerGroup) -> str | None:
        segment = self._segment(group)
        return None if segment is None else segment.status

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_small(self, group: CustomerGroup) -> bool:
        segment = self._segment(group)
        return segment is not None and segment.is_small

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_size(self, group: CustomerGroup) -> int | None:
        segment = self._segment(group)
        if segment is None:
            return group.knownusergroup.member_count
        return _segment_size(segment)


class SegmentDetailSerializer(serializers.Serializer):
    definition = serializers.JSONField(help_text="The definition as stored.")
    definition_text = serializers.CharField(
        help_text="The definition in words; empty when it no longer validates."
    )
    definition_problems = serializers.ListField(
        child=serializers.CharField(),
        help_text="Why a stored definition no longer validates, if it does not.",
    )
    eligible_count = serializers.IntegerField(
        allow_null=True,
        help_text="The app's customers a segment can hold (none before computing).",
    )
    computed_at = serializers.DateTimeField(allow_null=True)
    last_error = serializers.CharField()


class KnownUserGroupDetailSerializer(serializers.Serializer):
    address_count = serializers.IntegerField()
    member_count = serializers.IntegerField(
        help_text="Addresses matched to an authenticated customer account."
    )
    pending_count = serializers.IntegerField(
        help_text="Addresses not matched to an account (yet)."
    )


def group_detail_data(group: CustomerGroup) -> dict[str, Any]:
    """A group's row, with ``segment`` or ``known_user_group`` (the other null)."""
    data = dict(GroupSerializer(group).data)
    data["segment"] = data["known_user_group"] = None
    if group.kind == GroupKind.SEGMENT:
        segment = group.segment
        stored = stored_definition_read(definition=segment.definition)
        data["segment"] = SegmentDetailSerializer(
            {
                "definition": segment.definition,
                "definition_text": stored.text,
                "definition_problems": list(stored.problems),
                "eligible_count": segment.eligible_count,
                "computed_at": segment.computed_at,
                "last_error": segment.last_error,
            }
        ).data
    else:
        kug = group.knownusergroup
        data["known_user_group"] = KnownUserGroupDetailSerializer(
            {
                "address_count": kug.address_count,
                "member_count": kug.member_count,
                "pending_count": kug.address_count - kug.member_count,
            }
        ).data
    return data


class GroupDetailSerializer(GroupSerializer):
    """A group with what defines it (for the schema; built by
    ``group_detail_data``)."""

    segment = SegmentDetailSerializer(allow_null=True)
    known_user_group = KnownUserGroupDetailSerializer(allow_null=True)


def _address_list(help_text: str) -> serializers.ListField:
    """A list of e-mail addresses as typed: the service trims, lower-cases,
    drops duplicates and checks them, naming each bad one's position."""
    return serializers.ListField(
        child=serializers.CharField(
            allow_blank=True, max_length=1000, trim_whitespace=False
        ),
        help_text=help_text,
    )


class KnownUserGroupCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, trim_whitespace=False)
    addresses = _address_list(
        "1 to the limit of e-mail addresses; trimmed, lower-cased, "
        "duplicates dropped. Any invalid address and nothing is saved."
    )


class AddressesReplaceSerializer(serializers.Serializer):
    addresses = _address_list(
        "The group's whole new list: what is not in it is removed. "
        "Any invalid address and nothing changes."
    )


class AddressesReplacedSerializer(serializers.Serializer):
    added = serializers.IntegerField()
    removed = serializers.IntegerField()
    kept = serializers.IntegerField()
    group = GroupDetailSerializer()


class AddressSerializer(serializers.Serializer):
    email = serializers.EmailField()
    status = serializers.ChoiceField(
        choices=["member", "pending"],
        help_text="member: matched to an authenticated account.",
    )
