"""Model fields whose values are stored encrypted (see kinga.lib.crypto).

They cannot be filtered or ordered in the database: look values up through a blind index
or search tokens instead. Each value is bound to `<app_label>.<model>.<field>`.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.expressions import Combinable, Expression

from kinga.lib.crypto import decrypt, encrypt


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """Text encrypted with AES-GCM; empty text is stored as empty, None as NULL."""

    description = "Encrypted text"

    def contribute_to_class(
        self, cls: type[models.Model], name: str, *args: Any, **kwargs: Any
    ) -> None:
        super().contribute_to_class(cls, name, *args, **kwargs)
        self.encryption_context = f"{cls._meta.app_label}.{cls._meta.model_name}.{name}"

    def to_text(self, value: Any) -> str:
        return str(value)

    def from_text(self, text: str) -> Any:
        return text

    def get_prep_value(self, value: Any) -> Any:
        if value is None or value == "":
            return value
        return encrypt(self.to_text(value), context=self.encryption_context)

    def from_db_value(
        self, value: Any, expression: Expression, connection: BaseDatabaseWrapper
    ) -> Any:
        if value is None or value == "":
            return value
        return self.from_text(decrypt(value, context=self.encryption_context))

    def to_python(self, value: Any) -> Any:
        return value

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name != "isnull":
            raise TypeError(f"{self.encryption_context} is encrypted; use its blind index")
        return super().get_lookup(lookup_name)


class EncryptedDateField(EncryptedTextField):
    """A date kept encrypted (exact dates of birth); store the age band in clear beside it."""

    description = "Encrypted date"
    # What django-stubs' mypy plugin types model attributes by (a date, not the text).
    _pyi_private_set_type: datetime.date | str | Combinable  # type: ignore[assignment]  # a date kept as text
    _pyi_private_get_type: datetime.date  # type: ignore[assignment]  # a date kept as text

    def to_text(self, value: Any) -> str:
        if isinstance(value, datetime.date):
            return value.isoformat()
        return datetime.date.fromisoformat(str(value)).isoformat()

    def from_text(self, text: str) -> Any:
        return datetime.date.fromisoformat(text)

    def to_python(self, value: Any) -> Any:
        if value in (None, "") or isinstance(value, datetime.date):
            return value
        return datetime.date.fromisoformat(str(value))

    def formfield(self, **kwargs: Any) -> Any:
        from django import forms

        return forms.DateField(**{"required": not self.blank, **kwargs})


class EncryptedJSONField(EncryptedTextField):
    """A JSON value (lists of aliases, a raw channel payload) kept encrypted."""

    description = "Encrypted JSON"
    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    def to_text(self, value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, sort_keys=True)

    def from_text(self, text: str) -> Any:
        return json.loads(text)

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return None
        return encrypt(self.to_text(value), context=self.encryption_context)
