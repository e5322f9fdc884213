"""Bucket CORS rules: their model, AWS's validation, and which rule answers a browser. Pure.

A browser on another origin (Uppy uploading parts to presigned URLs, say) first sends a
preflight OPTIONS naming its Origin, the method and the headers it wants; S3 answers from the
first rule that allows all three, and adds the same rule's headers to the actual request.
https://docs.aws.amazon.com/AmazonS3/latest/userguide/cors.html
https://docs.aws.amazon.com/AmazonS3/latest/API/RESTOPTIONSobject.html
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

from storage.errors import S3Error

MAX_RULES = 100
METHODS = frozenset({"GET", "PUT", "POST", "DELETE", "HEAD"})


@dataclass(frozen=True)
class Rule:
    allowed_methods: tuple[str, ...]
    allowed_origins: tuple[str, ...]
    allowed_headers: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    max_age_seconds: int | None = None
    id: str | None = None

    def allows(self, origin: str, method: str, headers: Iterable[str] = ()) -> bool:
        return (
            method in self.allowed_methods
            and any(_wildcard_match(pattern, origin) for pattern in self.allowed_origins)
            and all(
                any(_wildcard_match(p.lower(), h.lower()) for p in self.allowed_headers)
                for h in headers
            )
        )


def _wildcard_match(pattern: str, value: str) -> bool:
    """An AllowedOrigin or AllowedHeader holds at most one ``*``, matching any run of
    characters."""
    head, star, tail = pattern.partition("*")
    if not star:
        return pattern == value
    return len(value) >= len(head) + len(tail) and value.startswith(head) and value.endswith(tail)


def validate(rules: Sequence[Rule]) -> None:
    """AWS's checks of a CORSConfiguration that is well-formed XML."""
    if not rules or len(rules) > MAX_RULES:
        raise S3Error("MalformedXML")
    for rule in rules:
        if not rule.allowed_methods or not rule.allowed_origins:
            raise S3Error("MalformedXML")
        for method in rule.allowed_methods:
            if method not in METHODS:
                raise S3Error(
                    "InvalidRequest",
                    f"Found unsupported HTTP method in CORS config. Unsupported method is {method}",
                )
        for origin in rule.allowed_origins:
            if origin.count("*") > 1:
                raise S3Error(
                    "InvalidRequest",
                    f'AllowedOrigin "{origin}" can not have more than one wildcard.',
                )
        for header in rule.allowed_headers:
            if header.count("*") > 1:
                raise S3Error(
                    "InvalidRequest",
                    f'AllowedHeader "{header}" can not have more than one wildcard.',
                )
        if rule.max_age_seconds is not None and rule.max_age_seconds < 0:
            raise S3Error("MalformedXML")


def first_match(
    rules: Sequence[Rule], origin: str, method: str, headers: Iterable[str] = ()
) -> Rule | None:
    """The first rule allowing ``origin`` to send ``method`` with ``headers``: S3 uses the
    first rule that matches."""
    wanted = list(headers)
    return next((rule for rule in rules if rule.allows(origin, method, wanted)), None)


def to_json(rules: Sequence[Rule]) -> str:
    return json.dumps([asdict(rule) for rule in rules])


def from_json(text: str) -> list[Rule]:
    return [
        Rule(
            allowed_methods=tuple(raw["allowed_methods"]),
            allowed_origins=tuple(raw["allowed_origins"]),
            allowed_headers=tuple(raw["allowed_headers"]),
            expose_headers=tuple(raw["expose_headers"]),
            max_age_seconds=raw["max_age_seconds"],
            id=raw["id"],
        )
        for raw in json.loads(text)
    ]
