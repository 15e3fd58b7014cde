"""Support admin of segments: exact sizes, why a recompute failed, run it again."""

from django import forms
from django.contrib import admin, messages
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from customers.admin import admin_time
from engagement import rules
from engagement.admin.explain import membership_explain_view
from engagement.models import Segment, SegmentRun, SegmentTemplate
from engagement.selectors.segments import stored_definition_read
from engagement.services.membership import segments_request_recompute


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "partner",
        "app",
        "status",
        "member_count",
        "eligible_count",
        "computed_at",
        "version",
        "pending_version",
    ]
    list_filter = ["status", "partner", "app"]
    list_select_related = ["partner", "app"]
    search_fields = ["name", "partner__name", "app__store_product_id", "app__name"]
    autocomplete_fields = ["partner", "app", "created_by", "updated_by"]
    readonly_fields = [
        "kind",
        "definition_text",
        "explain_membership",
        "recent_runs",
        "status",
        "member_count",
        "eligible_count",
        "computed_at",
        "version",
        "pending_version",
        "last_error",
        "refresh_requested_at",
        "recompute_requested_at",
        "created_by",
        "created_at",
        "updated_by",
        "updated_at",
    ]
    fields = [
        "partner",
        "app",
        "name",
        "definition",
        *readonly_fields,
    ]
    actions = ["recompute"]

    @admin.display(description=_("segment definition"))
    def definition_text(self, segment: Segment) -> str:
        stored = stored_definition_read(definition=segment.definition)
        if stored.definition is not None:
            return stored.text
        # The definition field above shows the JSON as stored.
        return format_html(
            "<strong>{}</strong><ul>{}</ul>",
            _("The stored definition does not pass the current rules:"),
            format_html_join("", "<li>{}</li>", ((p,) for p in stored.problems)),
        )

    @admin.display(description=_("explain"))
    def explain_membership(self, segment: Segment) -> str:
        url = reverse("admin:engagement_segment_explain")
        return format_html(
            '<a href="{}?segment={}">{}</a>',
            url,
            segment.pk,
            _("Explain a customer's membership"),
        )

    def get_urls(self):
        view = self.admin_site.admin_view(
            lambda request: membership_explain_view(request, model_admin=self)
        )
        return [
            path("explain/", view, name="engagement_segment_explain"),
            *super().get_urls(),
        ]

    @admin.display(description=_("recent computations"))
    def recent_runs(self, segment: Segment) -> str:
        runs = segment.runs.order_by("-started_at")[:10]
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    admin_time(run.started_at),
                    run.get_trigger_display(),
                    run.member_count if run.member_count is not None else "–",
                    run.joined if run.joined is not None else "–",
                    run.left if run.left is not None else "–",
                    run.error or "ok",
                )
                for run in runs
            ),
        )
        link = (
            reverse("admin:engagement_segmentrun_changelist") + f"?segment={segment.pk}"
        )
        return format_html(
            "<table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th>"
            '<th>{}</th></tr>{}</table><a href="{}">{}</a>',
            _("started"),
            _("trigger"),
            _("members"),
            _("joined"),
            _("left"),
            _("result"),
            rows,
            link,
            _("All computations"),
        )

    @admin.action(description=_("Recompute the selected segments now"))
    def recompute(self, request, queryset):
        count = segments_request_recompute(
            segments=queryset, trigger=SegmentRun.Trigger.SUPPORT
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d segment will be recomputed.",
                "%(count)d segments will be recomputed.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )

    def has_add_permission(self, request) -> bool:
        # Segments are created by partners in the dashboard, through the
        # editor and its validation.
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False if obj is not None else super().has_change_permission(request)


@admin.register(SegmentRun)
class SegmentRunAdmin(admin.ModelAdmin):
    list_display = [
        "segment",
        "trigger",
        "started_at",
        "finished_at",
        "member_count",
        "joined",
        "left",
        "incremental",
        "shared_scan",
        "has_error",
    ]
    list_filter = [
        "trigger",
        "incremental",
        "shared_scan",
        ("error", admin.EmptyFieldListFilter),
        "segment",
    ]
    list_select_related = ["segment"]
    search_fields = ["segment__name", "error"]
    autocomplete_fields = ["segment"]
    date_hierarchy = "started_at"

    @admin.display(boolean=True, description=_("failed"))
    def has_error(self, run: SegmentRun) -> bool:
        return bool(run.error)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_actions(self, request):
        # The history of computations is kept (it draws the segment's chart):
        # no bulk delete. Runs go with their segment, which support can delete.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


class SegmentTemplateForm(forms.ModelForm):
    class Meta:
        model = SegmentTemplate
        fields = ["slug", "name", "description", "definition", "position"]

    def clean_definition(self):
        return rules.definition_validate(self.cleaned_data["definition"])


@admin.register(SegmentTemplate)
class SegmentTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    form = SegmentTemplateForm
