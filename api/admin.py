"""Support admin of API tokens (product.md §6.6).

Store-services tokens (the ``StoreServiceToken`` proxy) are created here by
support staff, from a name alone, and revoked here. Partner tokens are
created by partners' editors on their settings page; support sees them
read-only and can revoke one that leaked (searching for the leaked token
itself finds it). No token is ever changed or deleted: kind, partner,
prefix and digest stay as created, a revoked row stays as a record, and the
digest is never shown.

A new token is shown once, on the page that answers the add form's POST
(``response_add``). It is not put in a message: messages are stored in a
cookie or the session (``MESSAGE_STORAGE`` is Django's fallback storage),
so the token would travel back to the browser in a cookie and sit in the
session store. The admin's pages are never cached (``admin_view``).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth import get_permission_codename
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from api.models import ApiToken, StoreServiceToken, TokenKind
from api.services import api_token_create, api_token_revoke
from api.tokens import PREFIXES, SHOWN_CHARACTERS, token_digest
from customers.names import name_clean

# What the change page of a token shows; never its digest.
STORE_FIELDS = [
    "name",
    "shown",
    "created_by",
    "created_at",
    "last_used_at",
    "revoked_at",
    "revoked_by",
]
PARTNER_FIELDS = ["name", "partner", "can_write", *STORE_FIELDS[1:]]


class StoreTokenAddForm(forms.ModelForm):
    """A new store-services token: its name only."""

    class Meta:
        model = StoreServiceToken
        fields = ["name"]

    def clean_name(self) -> str:
        # The rule api_token_create applies, checked here so that a bad name
        # is shown on the field before the token is created.
        return name_clean(self.cleaned_data["name"])


class TokenAdmin(admin.ModelAdmin):
    """What both kinds share: read-only rows, revoked by an action."""

    kind: str
    actions = ["revoke"]
    list_select_related = ["created_by"]
    search_fields = ["name", "^prefix"]
    search_help_text = _(
        "Search by name, by the token's first characters, or paste a whole "
        "token (a leaked one) to find it."
    )
    date_hierarchy = "created_at"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).filter(kind=self.kind)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        """Search as usual, and find a whole token pasted by its digest; the
        ellipsis a list shows after the first characters is ignored."""
        term = search_term.strip().rstrip("…")
        found, duplicates = super().get_search_results(request, queryset, term)
        if term.startswith(tuple(PREFIXES.values())) and len(term) > SHOWN_CHARACTERS:
            found = found | queryset.filter(key_hash=token_digest(term))
        return found, duplicates

    @admin.display(description=_("token"), ordering="prefix")
    def shown(self, token: ApiToken) -> str:
        return f"{token.prefix}…"

    @admin.display(boolean=True, description=_("active"))
    def active(self, token: ApiToken) -> bool:
        return not token.is_revoked

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # A revoked token stays: who created and revoked it, and when.
        return False

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        # Revoking is the one change a token ever gets.
        codename = get_permission_codename("change", self.opts)
        return request.user.has_perm(f"{self.opts.app_label}.{codename}")

    @admin.action(description=_("Revoke selected tokens"), permissions=["revoke"])
    def revoke(
        self, request: HttpRequest, queryset: QuerySet
    ) -> TemplateResponse | None:
        """Ask to confirm, then revoke each selected token that is not
        revoked yet; requests with them are refused from then on."""
        if request.POST.get("post") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "title": _("Revoke tokens"),
                "opts": self.opts,
                "tokens": queryset.select_related("partner"),
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            }
            request.current_app = self.admin_site.name
            return TemplateResponse(
                request, "admin/api/revoke_confirmation.html", context
            )
        revoked = already = 0
        for token in queryset:
            try:
                api_token_revoke(token=token, user=request.user)
            except ValidationError:
                already += 1
            else:
                revoked += 1
                self.log_change(request, token, [{"changed": {"fields": ["revoked"]}}])
        if revoked:
            self.message_user(
                request,
                ngettext(
                    "Revoked %(count)d token: requests with it are refused.",
                    "Revoked %(count)d tokens: requests with them are refused.",
                    revoked,
                )
                % {"count": revoked},
                messages.SUCCESS,
            )
        if already:
            self.message_user(
                request,
                ngettext(
                    "%(count)d token was already revoked.",
                    "%(count)d tokens were already revoked.",
                    already,
                )
                % {"count": already},
                messages.WARNING,
            )
        return None  # back to the list


@admin.register(StoreServiceToken)
class StoreServiceTokenAdmin(TokenAdmin):
    kind = TokenKind.STORE
    form = StoreTokenAddForm
    list_display = [
        "name",
        "shown",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]

    def get_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return STORE_FIELDS if obj is not None else ["name"]

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return STORE_FIELDS if obj is not None else []

    def render_change_form(self, request, context, add=False, **kwargs):
        # Saving creates the token and shows it: one button.
        context.update(show_save_and_add_another=False, show_save_and_continue=False)
        return super().render_change_form(request, context, add=add, **kwargs)

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        """Create the token through ``api_token_create`` (the form checked
        its name) and keep the token on ``obj`` for ``response_add``."""
        token, secret = api_token_create(
            kind=TokenKind.STORE, name=obj.name, user=request.user
        )
        obj.pk = token.pk
        obj.refresh_from_db()
        obj.secret = secret

    def response_add(
        self, request: HttpRequest, obj: StoreServiceToken, post_url_continue=None
    ) -> HttpResponse:
        """Show the new token, this once, instead of redirecting."""
        context = {
            **self.admin_site.each_context(request),
            "title": _("Store-services token created"),
            "opts": self.opts,
            "token": obj,
            "secret": obj.secret,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/api/token_created.html", context)


@admin.register(ApiToken)
class PartnerTokenAdmin(TokenAdmin):
    """Partner tokens, read-only: partners create them on their pages."""

    kind = TokenKind.PARTNER
    list_display = [
        "name",
        "partner",
        "shown",
        "can_write",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["partner", ("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["partner", "created_by"]
    search_fields = ["name", "^prefix", "partner__name"]
    fields = PARTNER_FIELDS
    readonly_fields = PARTNER_FIELDS

    def changelist_view(self, request: HttpRequest, extra_context=None):
        # The list holds partner tokens only: say so (store-services tokens
        # have their own list).
        extra_context = {"title": _("Partner tokens"), **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
