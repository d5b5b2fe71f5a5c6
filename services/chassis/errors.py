"""Domain errors. Use cases raise these; the gRPC layer turns them into statuses.

Codes are the names of google.rpc.Code, so this module imports nothing from gRPC
and domain code stays free of transport concerns.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldViolation:
    """One bad field: its proto3 JSON path (``legalRepIdNumber``, ``items[2].quantity``) and what is wrong."""

    field: str
    description: str


class DomainError(Exception):
    code = "FAILED_PRECONDITION"

    def __init__(self, message: str, *, reason: str | None = None, metadata: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.reason = reason
        self.metadata = metadata or {}


class InvalidArgument(DomainError):
    code = "INVALID_ARGUMENT"

    def __init__(self, message: str, violations: list[FieldViolation] | tuple[FieldViolation, ...] = (),
                 **kwargs):
        super().__init__(message, **kwargs)
        self.violations = tuple(violations)

    @classmethod
    def for_field(cls, field_name: str, description: str) -> InvalidArgument:
        return cls(description, [FieldViolation(field_name, description)])


class FailedPrecondition(DomainError):
    code = "FAILED_PRECONDITION"


class NotFound(DomainError):
    code = "NOT_FOUND"


class AlreadyExists(DomainError):
    code = "ALREADY_EXISTS"


class Conflict(DomainError):
    """A concurrent change got there first; the caller may reload and retry."""

    code = "ABORTED"


class PermissionDenied(DomainError):
    code = "PERMISSION_DENIED"


class Unauthenticated(DomainError):
    code = "UNAUTHENTICATED"


class ResourceExhausted(DomainError):
    code = "RESOURCE_EXHAUSTED"

    def __init__(self, message: str, *, retry_after_seconds: float | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after_seconds = retry_after_seconds


class Unavailable(DomainError):
    code = "UNAVAILABLE"


@dataclass
class Violations:
    """Collects every bad field of a request so the caller hears about all of them at once."""

    items: list[FieldViolation] = field(default_factory=list)

    def add(self, field_name: str, description: str) -> None:
        self.items.append(FieldViolation(field_name, description))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self, message: str = "请求参数有误") -> None:
        if self.items:
            raise InvalidArgument(message, self.items)


# What of an error's text goes into the call's trailers, which gRPC bounds (16 KB by default, all of
# them together, the details base64-encoded and the message percent-encoded): a few dozen violations,
# each field and description cut short, then one violation, at the first left out, counting them.
MAX_VIOLATIONS = 40
VIOLATION_BUDGET_BYTES = 6000
MAX_FIELD_CHARS = 200
MAX_DESCRIPTION_CHARS = 300
MAX_MESSAGE_CHARS = 300


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters (with an ellipsis), so no error echoes a huge value back."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


def bounded_violations(violations: tuple[FieldViolation, ...] | list[FieldViolation]) -> list[FieldViolation]:
    """The first violations that fit the budget, each shortened, and one more saying how many were left out."""
    kept: list[FieldViolation] = []
    spent = 0
    for violation in violations:
        one = FieldViolation(shorten(violation.field, MAX_FIELD_CHARS),
                             shorten(violation.description, MAX_DESCRIPTION_CHARS))
        size = len(one.field.encode()) + len(one.description.encode())
        if len(kept) == MAX_VIOLATIONS or spent + size > VIOLATION_BUDGET_BYTES:
            break
        kept.append(one)
        spent += size
    left_out = len(violations) - len(kept)
    if left_out:
        first = shorten(violations[len(kept)].field, MAX_FIELD_CHARS)
        kept.append(FieldViolation(first, f"自此处起另有{left_out}处错误未列出"))
    return kept
