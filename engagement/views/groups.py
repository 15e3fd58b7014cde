"""The Customer groups page and the first step of creating a group."""

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from customers.scope import partner_view
from engagement.selectors.groups import group_list, inactive_segment_list
from engagement.selectors.segments import segment_template_list

GROUPS_PER_PAGE = 25


@partner_view()
def customer_groups(request: HttpRequest) -> HttpResponse:
    """List the partner's groups, the segment templates and inactive segments.

    A bounded number of queries whatever the number of groups: the groups
    counted and one page of them, each with what its row shows (sizes and
    statuses as stored); the full page adds the templates and the inactive
    segments, which the table alone (htmx) does not read."""
    group_filter = group_list(partner=request.partner, filters=request.GET)
    page = Paginator(group_filter.qs, GROUPS_PER_PAGE).get_page(request.GET.get("page"))
    context = {"filter": group_filter, "page": page}
    if request.htmx and request.htmx.target == "groups-table":
        return render(request, "engagement/_groups_table.html", context)
    context.update(
        templates=segment_template_list(),
        inactive_segments=inactive_segment_list(partner=request.partner),
    )
    return render(request, "engagement/customer_groups.html", context)


@partner_view(editor=True)
def group_create(request: HttpRequest) -> HttpResponse:
    """Ask which kind of group to create."""
    return render(request, "engagement/group_create.html")
