"""Forms of the account pages."""

from __future__ import annotations

import logging

from django.contrib.auth import forms as auth_forms
from django.core.mail import EmailMultiAlternatives
from django.template import loader

logger = logging.getLogger(__name__)


class EmailNotSentError(Exception):
    """The mail server did not take a password reset e-mail."""


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset form, except that a failed send is an error.

    Django's own ``send_mail`` logs the failure and carries on, so the page
    would tell the user an e-mail is on its way when none is.
    """

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict,
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        """Send the reset e-mail; raise ``EmailNotSentError`` when sending fails."""
        subject = loader.render_to_string(subject_template_name, context)
        message = EmailMultiAlternatives(
            "".join(subject.splitlines()),  # a header: one line
            loader.render_to_string(email_template_name, context),
            from_email,
            [to_email],
        )
        if html_email_template_name is not None:
            message.attach_alternative(
                loader.render_to_string(html_email_template_name, context),
                "text/html",
            )
        try:
            message.send()
        except Exception as exc:  # SMTP errors, refused connections, timeouts…
            logger.exception("password_reset.send_failed user=%s", context["user"].pk)
            raise EmailNotSentError from exc
