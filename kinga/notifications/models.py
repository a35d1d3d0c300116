"""In-app notifications. Their text never holds case details: a code and a link at most.

A notification keeps its message key (the English text, as marked for translation) and its
values, and is rendered in the reader's language when read (`kinga.lib.messages`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kinga.lib.messages import message_render


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    message = models.CharField(
        _("message"),
        max_length=300,
        help_text=_("The message key: its English text, translated when read."),
    )
    values = models.JSONField(_("values"), default=dict, blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True)
    kind = models.CharField(_("kind"), max_length=32, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        indexes = [
            # the inbox: a user's unread first, newest first
            models.Index(fields=["recipient", "read_at", "-created_at"], name="notif_inbox"),
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def text(self) -> str:
        """Return the notice in the active language (the reader's, on their pages)."""
        return message_render(message=self.message, values=self.values, language=None)

    def text_in(self, language: str) -> str:
        """Return the notice in the given language (for an email sent to its recipient)."""
        return message_render(message=self.message, values=self.values, language=language)
