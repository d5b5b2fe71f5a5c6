"""Path templates of google/api/http.proto (``/v1/{name=shelves/*/books/*}:verb``): parsed, matched, named.

Path variables that span one segment are fully percent-decoded; multi-segment ones keep
``%2F`` encoded, as the specification says, so the raw request path must be given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import unquote


class TemplateSyntaxError(ValueError):
    pass


@dataclass(frozen=True)
class Variable:
    field_path: str  # dotted proto field names, as written in the template
    start: int  # index of its first segment in the template
    end: int  # index after its last segment; -1 when it ends with ``**`` (runs to the end of the path)


@dataclass(frozen=True)
class PathTemplate:
    """``/v1/{name=shelves/*/books/*}:verb`` as flat segments (literal, ``*`` or ``**``) plus variables."""

    text: str
    segments: tuple[str, ...]
    variables: tuple[Variable, ...]
    verb: str | None

    # Cached: matching a request compares the specificity of every candidate route.
    @cached_property
    def has_tail_wildcard(self) -> bool:
        return bool(self.segments) and self.segments[-1] == "**"

    @cached_property
    def literal_count(self) -> int:
        return sum(1 for s in self.segments if s not in ("*", "**"))

    def specificity(self) -> tuple[int, int, int, int]:
        """Sort key: more specific templates are tried first."""
        return self._specificity

    @cached_property
    def _specificity(self) -> tuple[int, int, int, int]:
        return (self.verb is not None, self.literal_count, not self.has_tail_wildcard, len(self.segments))

    def may_match(self, position: int, part: str) -> bool:
        """Whether a path whose segment ``position`` (not its last one) is ``part`` (decoded) may match."""
        if position >= len(self.segments):
            return True
        segment = self.segments[position]
        return segment in ("*", "**") or segment == part

    def match(self, raw_path: str) -> dict[str, str] | None:
        """The variable values of a raw (still percent-encoded) request path, or None."""
        path = raw_path
        if self.verb is not None:
            suffix = ":" + self.verb
            if not path.endswith(suffix):
                return None
            path = path[: -len(suffix)]
        if not path.startswith("/"):
            return None
        parts = path[1:].split("/")
        if self.has_tail_wildcard:
            fixed = len(self.segments) - 1
            if len(parts) < fixed:
                return None
        elif len(parts) != len(self.segments):
            return None
        for index, segment in enumerate(self.segments):
            if segment == "**":
                break
            part = parts[index]
            if segment == "*":
                if part == "":
                    return None
            elif unquote(part) != segment:
                return None
        values = {}
        for variable in self.variables:
            end = len(parts) if variable.end == -1 else variable.end
            captured = parts[variable.start:end]
            if len(captured) == 1 and self.segments[variable.start] != "**":
                values[variable.field_path] = unquote(captured[0])
            else:
                # Multi-segment values keep an encoded slash encoded (http.proto, "Path template syntax").
                values[variable.field_path] = "/".join(_unquote_keeping_slash(p) for p in captured)
        return values

    def openapi_path(self) -> str:
        """``/v1/{name}:verb``: each variable as one OpenAPI path parameter."""
        out: list[str] = []
        index = 0
        by_start = {v.start: v for v in self.variables}
        while index < len(self.segments):
            variable = by_start.get(index)
            if variable is not None:
                out.append("{" + variable.field_path + "}")
                index = len(self.segments) if variable.end == -1 else variable.end
                continue
            segment = self.segments[index]
            out.append("{path}" if segment == "**" else f"{{segment{index}}}" if segment == "*" else segment)
            index += 1
        return "/" + "/".join(out) + (":" + self.verb if self.verb else "")

    def variable_pattern(self, variable: Variable) -> str:
        end = len(self.segments) if variable.end == -1 else variable.end
        return "/".join(self.segments[variable.start:end])


def _unquote_keeping_slash(part: str) -> str:
    return "%2F".join(unquote(piece) for piece in re.split("%2[fF]", part))


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_LITERAL = re.compile(r"[^/{}*:=]+$")


def parse_template(text: str) -> PathTemplate:
    """Parse ``Template = "/" Segments [ Verb ]`` of google/api/http.proto."""
    if not text.startswith("/"):
        raise TemplateSyntaxError(f"{text!r}: a path template starts with '/'")
    body, verb = text[1:], None
    # The verb is the text after the last ':' that is outside braces.
    depth, colon = 0, -1
    for index, char in enumerate(body):
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif char == ":" and depth == 0:
            colon = index
    if colon >= 0:
        body, verb = body[:colon], body[colon + 1:]
        if not _LITERAL.match(verb):
            raise TemplateSyntaxError(f"{text!r}: bad verb {verb!r}")
    segments: list[str] = []
    variables: list[Variable] = []
    for token in _split_top_level(body, text):
        if token.startswith("{"):
            if not token.endswith("}"):
                raise TemplateSyntaxError(f"{text!r}: unclosed variable")
            inner = token[1:-1]
            field_path, _, pattern = inner.partition("=")
            if not _IDENT.match(field_path):
                raise TemplateSyntaxError(f"{text!r}: bad field path {field_path!r}")
            pattern_segments = pattern.split("/") if pattern else ["*"]
            if any("{" in s for s in pattern_segments):
                raise TemplateSyntaxError(f"{text!r}: variables cannot nest")
            start = len(segments)
            for segment in pattern_segments:
                _check_segment(segment, text)
                segments.append(segment)
            variables.append(Variable(field_path, start, -1 if segments[-1] == "**" else len(segments)))
        else:
            _check_segment(token, text)
            segments.append(token)
    if "**" in segments[:-1]:
        raise TemplateSyntaxError(f"{text!r}: '**' must be the last segment")
    return PathTemplate(text=text, segments=tuple(segments), variables=tuple(variables), verb=verb)


def _split_top_level(body: str, text: str) -> list[str]:
    tokens, current, depth = [], "", 0
    for char in body:
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth < 0:
                raise TemplateSyntaxError(f"{text!r}: unbalanced braces")
        if char == "/" and depth == 0:
            tokens.append(current)
            current = ""
        else:
            current += char
    if depth != 0:
        raise TemplateSyntaxError(f"{text!r}: unbalanced braces")
    tokens.append(current)
    return tokens


def _check_segment(segment: str, text: str) -> None:
    if segment in ("*", "**"):
        return
    if not segment or not _LITERAL.match(segment):
        raise TemplateSyntaxError(f"{text!r}: bad segment {segment!r}")

