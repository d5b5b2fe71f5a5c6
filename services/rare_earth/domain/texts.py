"""Free-text fields: required or not, and at most so many characters. No I/O."""

from __future__ import annotations

from collections.abc import Mapping

from services.chassis.errors import Violations


def check_text_fields(fields: Mapping[str, tuple[str, str, int, bool]],
                      violations: Violations | None = None) -> Violations:
    """``{json field: (value, label, limit, required)}`` -> the violations found (added to ``violations``)."""
    violations = violations if violations is not None else Violations()
    for field, (value, label, limit, required) in fields.items():
        if required and not value.strip():
            violations.add(field, f"请填写{label}")
        elif len(value) > limit:
            violations.add(field, f"{label}最多{limit}个字符")
    return violations
