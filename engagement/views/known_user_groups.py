"""Known user group pages: create, group page, edit, import .csv, export .csv."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from customers.request_size import form_refuse, post_size_checked
from customers.scope import partner_view
from engagement.addresses import count_format
from engagement.forms import service_errors_attach
from engagement.forms.known_user_groups import (
    KnownUserGroupConfirmForm,
    KnownUserGroupForm,
    KnownUserGroupImportForm,
    import_payload_sign,
)
from engagement.models import KnownUserGroup
from engagement.selectors.known_user_groups import (
    STATUSES,
    AddressChange,
    known_user_group_address_total,
    known_user_group_addresses,
    known_user_group_export_rows,
    known_user_group_import_preview,
    known_user_group_list,
)
from engagement.selectors.uses import customer_group_use_list
from engagement.services import known_user_groups as services

ADDRESSES_PER_PAGE = 50
QUERY_MAX_LENGTH = 254  # an e-mail address is at most this long


class _CountedPaginator(Paginator):
    """A paginator told its count: a page then reads one page of rows."""

    def __init__(self, object_list, per_page: int, *, count: int) -> None:
        super().__init__(object_list, per_page)
        self.__dict__["count"] = count  # the cached_property, filled in


def _get_group(request: HttpRequest, pk: int) -> KnownUserGroup:
    return get_object_or_404(known_user_group_list(partner=request.partner), pk=pk)


def _report_duplicates(request: HttpRequest, form: KnownUserGroupForm) -> None:
    if form.parsed and form.parsed.duplicates:
        messages.info(
            request,
            ngettext(
                "%(count)d duplicate address was dropped.",
                "%(count)d duplicate addresses were dropped.",
                form.parsed.duplicates,
            )
            % {"count": form.parsed.duplicates},
        )


def _counts(change: AddressChange) -> dict[str, str]:
    """A change's counts as the active language writes numbers."""
    return {
        "added": count_format(change.added),
        "removed": count_format(change.removed),
        "kept": count_format(change.kept),
    }


def _create_too_big(request: HttpRequest, message: str) -> HttpResponse:
    form = form_refuse(KnownUserGroupForm(), message)
    return render(
        request, "engagement/known_user_groups/form.html", {"form": form}, status=413
    )


def _edit_too_big(request: HttpRequest, message: str, pk: int) -> HttpResponse:
    group = _get_group(request, pk)
    form = KnownUserGroupForm(initial={"addresses": _box(group)}, editing=True)
    return render(
        request,
        "engagement/known_user_groups/form.html",
        {"form": form_refuse(form, message), "group": group},
        status=413,
    )


def _import_too_big(request: HttpRequest, message: str, pk: int) -> HttpResponse:
    group = _get_group(request, pk)
    form = form_refuse(KnownUserGroupImportForm(), message)
    return render(
        request,
        "engagement/known_user_groups/import.html",
        {"group": group, "form": form},
        status=413,
    )


def _box(group: KnownUserGroup) -> str:
    """The group's addresses as the box shows them, one a line."""
    return "\n".join(group.addresses.order_by("email").values_list("email", flat=True))


@partner_view(editor=True)
@post_size_checked(_create_too_big)
def known_user_group_create(request: HttpRequest) -> HttpResponse:
    """Create a group from typed addresses or a .csv file."""
    form = KnownUserGroupForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            group = services.known_user_group_create(
                partner=request.partner,
                name=form.cleaned_data["name"],
                addresses=form.cleaned_data["emails"],
                user=request.user,
            )
        except ValidationError as exc:
            service_errors_attach(form=form, error=exc)
        else:
            _report_duplicates(request, form)
            messages.success(
                request,
                _("Known user group “%(name)s” saved with %(count)s addresses.")
                % {"name": group.name, "count": count_format(group.address_count)},
            )
            return redirect(group)
    status = 400 if form.is_bound else 200
    return render(
        request, "engagement/known_user_groups/form.html", {"form": form}, status=status
    )


@partner_view()
def known_user_group_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The group page: members / listed, and its addresses by status, searched
    (``?q=``, part of an address in any case) and paged: one page is read."""
    group = _get_group(request, pk)
    status = request.GET.get("status", "")
    if status not in STATUSES:
        status = ""
    query = request.GET.get("q", "").strip()[:QUERY_MAX_LENGTH]
    addresses = known_user_group_addresses(group=group, status=status, query=query)
    if query:  # a search counts its matches: at most the group's addresses
        paginator = Paginator(addresses, ADDRESSES_PER_PAGE)
    else:  # the stored counts: no count of the addresses
        total = known_user_group_address_total(group=group, status=status)
        paginator = _CountedPaginator(addresses, ADDRESSES_PER_PAGE, count=total)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "engagement/known_user_groups/detail.html",
        {
            "group": group,
            "page": page,
            "status": status,
            "query": query,
            "uses": customer_group_use_list(group=group),
        },
    )


@partner_view(editor=True)
@post_size_checked(_edit_too_big)
def known_user_group_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Add and remove addresses in the box; the name is shown, never changed."""
    group = _get_group(request, pk)
    if request.method == "POST":
        form = KnownUserGroupForm(request.POST, editing=True)
        if form.is_valid():
            try:
                change = services.known_user_group_update(
                    group=group,
                    addresses=form.cleaned_data["emails"],
                    user=request.user,
                )
            except ValidationError as exc:
                service_errors_attach(form=form, error=exc)
            else:
                _report_duplicates(request, form)
                messages.success(
                    request,
                    _("Saved: %(added)s added, %(removed)s removed, %(kept)s kept.")
                    % _counts(change),
                )
                return redirect(group)
        status = 400
    else:
        form = KnownUserGroupForm(initial={"addresses": _box(group)}, editing=True)
        status = 200
    return render(
        request,
        "engagement/known_user_groups/form.html",
        {"form": form, "group": group},
        status=status,
    )


@partner_view(editor=True)
@post_size_checked(_import_too_big)
def known_user_group_import(request: HttpRequest, pk: int) -> HttpResponse:
    """Replace a group's addresses from a .csv file: show the change, then apply."""
    group = _get_group(request, pk)
    context = {"group": group}
    if request.method != "POST":
        context["form"] = KnownUserGroupImportForm()
        return render(request, "engagement/known_user_groups/import.html", context)
    if "payload" in request.POST:
        confirm = KnownUserGroupConfirmForm(request.POST, group_id=group.pk)
        if confirm.is_valid():
            try:
                change = services.known_user_group_update(
                    group=group,
                    addresses=confirm.cleaned_data["payload"],
                    user=request.user,
                )
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(
                    request,
                    _("Imported: %(added)s added, %(removed)s removed, %(kept)s kept.")
                    % _counts(change),
                )
                return redirect(group)
        else:
            messages.error(request, " ".join(confirm.errors.get("payload", [])))
        context["form"] = KnownUserGroupImportForm()
        return render(
            request, "engagement/known_user_groups/import.html", context, status=400
        )
    form = KnownUserGroupImportForm(request.POST, request.FILES)
    if not form.is_valid():
        context["form"] = form
        return render(
            request, "engagement/known_user_groups/import.html", context, status=400
        )
    emails = form.cleaned_data["emails"]
    preview = known_user_group_import_preview(group=group, addresses=emails)
    context.update(
        preview=preview,
        change=preview.change,
        duplicates=form.parsed.duplicates,
        confirm=KnownUserGroupConfirmForm(
            initial={"payload": import_payload_sign(group_id=group.pk, emails=emails)},
            group_id=group.pk,
        ),
    )
    return render(request, "engagement/known_user_groups/import.html", context)


class _Echo:
    def write(self, value: str) -> str:
        return value


def known_user_group_export_response(group: KnownUserGroup) -> StreamingHttpResponse:
    """The ``email,status`` CSV download of a group (the dashboard's and the
    API's), streamed a chunk of rows at a time."""
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in known_user_group_export_rows(group=group)),
        content_type="text/csv; charset=utf-8",
    )
    filename = f"{slugify(group.name) or 'known-user-group'}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@partner_view()
def known_user_group_export(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    """Download ``email,status`` rows, sorted, safe to open in a spreadsheet."""
    return known_user_group_export_response(_get_group(request, pk))
