"""Segment pages: editor (create, edit, duplicate, copy a template), segment
page, live estimate, refresh, delete and definition export."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from config.statement_timeout import is_statement_timeout
from customers.http import IdField, redirect_target
from customers.request_size import form_refuse, post_size_checked
from customers.scope import partner_view
from engagement.charts import history_chart
from engagement.forms import service_errors_attach
from engagement.forms.segment_editor import SegmentEditor
from engagement.forms.segment_rows import action_parse
from engagement.models import Segment, SegmentRun, SegmentTemplate
from engagement.selectors.group_names import customer_group_name_free
from engagement.selectors.segments import (
    segment_history_runs,
    segment_list,
    segment_page_list,
    segment_page_state,
    segment_run_list,
    stored_definition_read,
)
from engagement.selectors.uses import customer_group_use_list
from engagement.services import membership
from engagement.services import segments as services
from engagement.services.estimates import segment_estimate as estimate_segment

# A drawn chart or table lasts as long as the computations it shows; a day
# bounds what an edit its key does not see (a run's start time) could leave.
DRAWN_SECONDS = 24 * 3600


def _get_segment(request: HttpRequest, pk: int) -> Segment:
    return get_object_or_404(segment_list(partner=request.partner), pk=pk)


def _get_segment_awaited(request: HttpRequest, pk: int) -> Segment:
    return get_object_or_404(segment_page_list(partner=request.partner), pk=pk)


def _editor(request: HttpRequest, *, segment: Segment | None) -> HttpResponse:
    """Handle a POST to the editor: a structural action, or Save."""
    action = request.POST.get("action", "save")
    editor = SegmentEditor.from_post(
        partner=request.partner,
        data=request.POST,
        files=request.FILES,
        action=action,
    )
    if action != "save":
        name, index = action_parse(action)
        row = index if name == "refresh_row" and index >= 0 else None
        return _render_editor(
            request, segment=segment, editor=editor, partial=True, row=row
        )
    if editor.is_valid():
        data = editor.form.cleaned_data
        try:
            if segment is None:
                segment = services.segment_create(
                    partner=request.partner,
                    app=data["app"],
                    name=data["name"],
                    definition=editor.definition,
                    user=request.user,
                )
                messages.success(
                    request,
                    _(
                        "Segment “%(name)s” saved. Its members are queued for "
                        "computation; this page updates when they are ready."
                    )
                    % {"name": segment.name},
                )
            else:
                services.segment_update(
                    segment=segment,
                    app=data["app"],
                    name=data["name"],
                    definition=editor.definition,
                    user=request.user,
                )
                messages.success(
                    request,
                    (
                        _(
                            "Segment “%(name)s” saved. Its new members are queued "
                            "for computation; until then the previous members "
                            "apply."
                        )
                        if segment.recompute_pending
                        else _("Segment “%(name)s” saved.")
                    )
                    % {"name": segment.name},
                )
        except ValidationError as exc:
            service_errors_attach(form=editor.form, error=exc)
        else:
            url = segment.get_absolute_url()
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    response = _render_editor(request, segment=segment, editor=editor, status=400)
    if request.htmx:  # the fields again, with the error summary to focus
        response["HX-Retarget"] = response["HX-Reselect"] = "#segment-fields"
        response["HX-Reswap"] = "outerHTML"
    return response


def _render_editor(
    request: HttpRequest,
    *,
    segment: Segment | None,
    editor: SegmentEditor,
    partial: bool = False,
    row: int | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render the editor; for htmx, only the conditions, or only ``row``
    (after its selects changed: the rest of the form is left as the partner
    has it) with the definition text. Either answer also blanks the estimate,
    which the ``conditions-updated`` event asks for again: the page never
    shows an estimate beside a text that describes other filters."""
    context = {
        "segment": segment,
        "editor": editor,
        "definition_text": editor.text,
        "definition_complete": editor.complete,
        "left_out": editor.left_out_message,
    }
    if partial and request.htmx:
        template = "engagement/segments/_conditions_refresh.html"
        if row is not None and row < len(editor.formset.forms):
            template = "engagement/segments/_condition_row_refresh.html"
            context.update(
                index=row,
                form=editor.formset.forms[row],
                number=editor.row_number(row),
            )
        response = render(request, template, context, status=status)
        return trigger_client_event(response, "conditions-updated")
    return render(request, "engagement/segments/editor.html", context, status=status)


def _editor_too_big(
    request: HttpRequest, message: str, pk: int | None = None
) -> HttpResponse:
    """The editor as it was before a POST too big to read, with the message."""
    segment = _get_segment(request, pk) if pk is not None else None
    editor = SegmentEditor.from_definition(
        partner=request.partner,
        definition=segment.definition if segment else None,
        initial={"name": segment.name, "app": segment.app} if segment else None,
    )
    if request.htmx:
        editor.message = message
    else:
        form_refuse(editor.form, message)
    return _render_editor(
        request, segment=segment, editor=editor, partial=True, status=413
    )


def _estimate_too_big(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "_message_fragment.html", {"message": message}, status=413)


@partner_view(editor=True)
@post_size_checked(_editor_too_big)
def segment_create(request: HttpRequest) -> HttpResponse:
    """New segment: blank, copied from a template (?template=slug)."""
    if request.method == "POST":
        return _editor(request, segment=None)
    definition, initial = None, {}
    slug = request.GET.get("template")
    if slug:
        template = get_object_or_404(SegmentTemplate, slug=slug)
        definition = template.definition
        initial["name"] = customer_group_name_free(
            partner=request.partner, name=_(template.name)
        )
    editor = SegmentEditor.from_definition(
        partner=request.partner, definition=definition, initial=initial
    )
    return _render_editor(request, segment=None, editor=editor)


@partner_view(editor=True)
def segment_duplicate(request: HttpRequest, pk: int) -> HttpResponse:
    """A new segment pre-filled with a copy of another; saved only on Save."""
    source = _get_segment(request, pk)
    editor = SegmentEditor.from_definition(
        partner=request.partner,
        definition=source.definition,
        initial={
            "name": customer_group_name_free(
                partner=request.partner,
                name=_("Copy of %(name)s") % {"name": source.name},
            ),
            "app": source.app,
        },
    )
    copied = _("This is a copy of “%(name)s”. Change it, then save.") % {
        "name": source.name
    }
    editor.message = f"{copied} {editor.message}".strip()
    return _render_editor(request, segment=None, editor=editor)


@partner_view(editor=True)
@post_size_checked(_editor_too_big)
def segment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a segment (viewers get 403)."""
    segment = _get_segment(request, pk)
    if request.method == "POST":
        return _editor(request, segment=segment)
    editor = SegmentEditor.from_definition(
        partner=request.partner,
        definition=segment.definition,
        initial={"name": segment.name, "app": segment.app},
    )
    return _render_editor(request, segment=segment, editor=editor)


def _estimate_segment(request: HttpRequest) -> Segment | None:
    """The partner's computed segment being edited; any other id (none,
    malformed, another partner's) gives None: no change shown, none told."""
    try:
        pk = IdField().clean(request.POST.get("segment"))
    except ValidationError:
        return None
    segments = segment_list(partner=request.partner)
    return segments.filter(pk=pk, member_count__isnull=False).first()


@partner_view()
@require_POST
@post_size_checked(_estimate_too_big)
def segment_estimate(request: HttpRequest) -> HttpResponse:
    """The live size estimate of the editor's current conditions (htmx).

    The answer carries the definition text too (out of band), from the same
    bound rows as the count: whichever answer reached the page last, the text
    beside the estimate describes exactly the filters it counted.
    """
    editor = SegmentEditor.from_post(partner=request.partner, data=request.POST)
    raw_app = request.POST.get("app")
    try:
        app = editor.form.fields["app"].clean(raw_app) if raw_app else None
    except ValidationError:
        # Only a tampered request names an app the select does not offer.
        return render(
            request,
            "_message_fragment.html",
            {"message": _("Choose one of your apps.")},
            status=400,
        )
    context = {
        "app": app,
        "definition_text": editor.text,
        "definition_complete": editor.complete,
        "left_out": editor.left_out_message,
    }
    definition = editor.counted if app else None
    segment = _estimate_segment(request) if definition else None
    try:
        context["estimate"] = (
            estimate_segment(app=app, definition=definition, segment=segment)
            if definition
            else None
        )
    except OperationalError as exc:
        if not is_statement_timeout(exc):
            raise
        context["timed_out"] = True
    return render(request, "engagement/segments/_estimate.html", context)


@partner_view()
def segment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The segment page: definition, then one live region (statistics, status,
    uses, chart, computations) that polls while a computation is awaited and
    is swapped whole, so its parts never disagree. A bounded number of
    queries; a poll that would show the same answers 204 after two. The
    chart and the computations table are drawn once per set of runs
    (``_drawn``)."""
    segment = _get_segment_awaited(request, pk)
    runs = list(segment_run_list(segment=segment))
    context = {
        "segment": segment,
        "awaited": segment.awaited,
        "live_state": segment_page_state(segment=segment, runs=runs),
    }
    poll = request.htmx and request.htmx.target == "segment-live"
    if poll and request.GET.get("state") == context["live_state"]:
        return HttpResponse(status=204)  # nothing changed: nothing to swap or ask
    context.update(
        definition=stored_definition_read(definition=segment.definition),
        history_drawn=_history_drawn(segment=segment),
        runs_drawn=_runs_drawn(segment=segment, runs=runs),
        uses=customer_group_use_list(group=segment),
    )
    template = "_live.html" if poll else "detail.html"
    return render(request, f"engagement/segments/{template}", context)


def _drawn(
    *, template: str, segment: Segment, shown: str, context: Callable[[], dict]
) -> str:
    """``template`` rendered with ``context()``, once per ``shown`` (what of
    the segment's rows it shows) in each language and time zone: the segment
    page and its polls read it from the cache until a computation starts or
    ends (with the daily run: all day)."""
    digest = hashlib.sha256(shown.encode()).hexdigest()
    zone, floor = timezone.get_current_timezone_name(), settings.SEGMENT_MIN_SIZE
    key = f"{template}:{segment.pk}:{get_language()}:{zone}:{floor}:{digest}"
    drawn = cache.get_or_set(
        key, lambda: render_to_string(template, context()), timeout=DRAWN_SECONDS
    )
    return mark_safe(drawn)  # the template's own output, escaped by it


def _history_drawn(*, segment: Segment) -> str:
    """The members-over-time chart of the segment's successful computations."""
    runs = segment_history_runs(segment=segment)
    return _drawn(
        template="engagement/segments/_history_chart.html",
        segment=segment,
        shown=";".join(f"{run.pk}:{run.member_count}" for run in runs),
        context=lambda: {
            "history": history_chart(runs=runs, min_size=settings.SEGMENT_MIN_SIZE)
        },
    )


def _runs_drawn(*, segment: Segment, runs: list[SegmentRun]) -> str:
    """The table of the segment's latest computations (``runs``)."""
    return _drawn(
        template="engagement/segments/_runs.html",
        segment=segment,
        shown=";".join(
            f"{run.pk}:{run.trigger}:{run.finished_at}:{run.member_count}:"
            f"{run.joined}:{run.left}:{bool(run.error)}"
            for run in runs
        ),
        context=lambda: {"runs": runs, "min_size": settings.SEGMENT_MIN_SIZE},
    )


@partner_view()
def segment_row(request: HttpRequest, pk: int) -> HttpResponse:
    """One row of the groups table, polled while a computation is awaited."""
    segment = _get_segment_awaited(request, pk)
    context = {"segment": segment, "awaited": segment.awaited}
    return render(request, "engagement/segments/_row.html", context)


@partner_view(editor=True)
@require_POST
def segment_refresh(request: HttpRequest, pk: int) -> HttpResponse:
    """Recompute now (at most once per 5 minutes per segment).

    From the groups page's list (htmx) the answer is the list's row, with
    Refresh disabled until it may be pressed again, and the message shown
    above the list (out of band): the partner stays on the list.
    """
    segment = _get_segment(request, pk)
    try:
        membership.segment_refresh(segment=segment)
    except ValidationError as exc:
        level, message = "warning", exc.messages[0]
    else:
        level, message = (
            "success",
            _(
                "A new computation of “%(name)s” is queued. The page updates "
                "when it is done."
            )
            % {"name": segment.name},
        )
    if request.htmx and request.htmx.target == f"inactive-segment-{segment.pk}":
        segment.refresh_from_db()
        context = {"segment": segment, "message": message, "level": level}
        return trigger_client_event(
            render(request, "engagement/segments/_inactive_row.html", context),
            f"segment-refreshed-{segment.pk}",
        )
    getattr(messages, level)(request, message)  # messages.warning, .success
    return redirect(
        redirect_target(request, url=request.POST.get("next"), fallback=segment)
    )


@partner_view(editor=True)
def segment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm, then delete a segment."""
    segment = _get_segment(request, pk)
    if request.method == "POST":
        name = segment.name
        try:
            services.segment_delete(segment=segment, user=request.user)
        except ValidationError as exc:
            messages.warning(request, exc.messages[0])
            return redirect(segment.get_absolute_url())
        messages.success(request, _("Segment “%(name)s” deleted.") % {"name": name})
        return redirect("engagement:customer_groups")
    return render(request, "engagement/segments/delete.html", {"segment": segment})


@partner_view()
def segment_definition_export(request: HttpRequest, pk: int) -> HttpResponse:
    """Download the segment's definition as a JSON file.

    A definition that no longer validates is downloaded as stored: the
    editor's import names its problems, so it can be fixed and imported.
    """
    segment = _get_segment(request, pk)
    stored = stored_definition_read(definition=segment.definition)
    response = JsonResponse(
        stored.stored if stored.definition is None else stored.definition,
        safe=False,
        json_dumps_params={"indent": 2, "ensure_ascii": False},
    )
    filename = f"{slugify(segment.name) or 'segment'}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
