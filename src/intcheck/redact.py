"""The single place that hides credentials in evidence, journals, reports and logs."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

MASK = "***"

# Headers that carry credentials or signatures, whatever their value.
SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "api-key",
        "x-signature",
        "x-twilio-signature",
        "x-hub-signature",
        "x-hub-signature-256",
        "x-twilio-email-event-webhook-signature",
    }
)
# Field names (query, form, JSON) whose values are credentials.
SECRET_FIELDS = re.compile(
    r"(pass(word)?|secret|token|api[_-]?key|signature|^sig$|auth)", re.IGNORECASE
)


class Redactor:
    """Masks known secret values anywhere in text, and secret-named headers and fields."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first, so a secret that contains another is masked whole.
        self._secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def text(self, value: str) -> str:
        for secret in self._secrets:
            if secret in value:
                value = value.replace(secret, MASK)
        return value

    def header(self, name: str, value: str) -> str:
        """One header's value as it may be shown: masked whole when the header is a secret."""
        return MASK if name.lower() in SECRET_HEADERS else self.text(value)

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        return {name: self.header(name, value) for name, value in headers.items()}

    def value(self, data: Any) -> Any:
        """Redact a JSON-like structure: secret-named fields and known secret values."""
        if isinstance(data, Mapping):
            return {
                k: MASK
                if isinstance(k, str) and SECRET_FIELDS.search(k) and data[k]
                else self.value(data[k])
                for k in data
            }
        if isinstance(data, list | tuple):
            return [self.value(v) for v in data]
        if isinstance(data, str):
            return self.text(data)
        return data
