"""Evaluating *PingOne Template Variable Value* sources with a real Velocity engine (airspeed).

PingFederate evaluates each row of the authenticator's **PingOne Template Variables** table with
Apache Velocity and sends the result to PingOne as the variable's value. Here each source is merged
by `airspeed <https://pypi.org/project/airspeed/>`_ against a namespace built from the request:

=====================  ==========================================================================
``$requestingApplicationName`` etc.   the six built-in request values (also in PingOne templates)
``$attributes.NAME``   request-policy contract attributes (the authenticator's Extended Contract)
``$request.FIELD``     request context: ``clientId``, ``clientName``, ``logoUrl``, ``bindingMessage``,
                       ``locale``, ``scopes`` (names), ``scopeDescriptions``, ``requestedScope``
``$user.NAME``         user attributes
``$messages``          language-pack messages for the user's locale (``.get("key")``, ``.key``,
                       ``.format("key", arg0, ...)``)
``$format``            locale-aware formatting: ``.currency(amount, "EUR")``, ``.number(x)``,
                       ``.decimal(x, digits)``, ``.percent(x)``
=====================  ==========================================================================

The object names (``attributes``, ``request``...) are ciba_kit's choice: Ping's documentation does
not show them (UNCONFIRMED). Pass a :class:`~ciba_kit.prompts.model.VelocityNames` to rename them.

Strings coming from the request get Java's ``String`` methods (``toUpperCase()``, ``trim()``,
``substring(a, b)``...) because Velocity authors write Java. String *literals* of a source
(``#set($t = "x")``) are airspeed's: they know ``length()``, ``replaceAll``, ``startsWith``,
``matches``, ``contains`` and Python's ``str`` methods (we do not patch airspeed globally). A reference without a value renders
as its own source text (Velocity's rule, kept visible on purpose) and is reported by the lint.
Attribute names starting with ``_`` are refused before evaluation: they would reach Python internals.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping

import airspeed

from .langpack import Messages
from .model import VelocityNames

__all__ = ["VelocityResult", "VelocityError", "evaluate_variable", "build_namespace", "Formatter",
           "JavaString", "TrackingDict", "attribute_references", "reference_texts", "compile_template"]


class JavaString(str):
    """A ``str`` with the ``java.lang.String`` methods Velocity authors expect."""

    def toUpperCase(self) -> "JavaString":  # noqa: N802 - Java API
        return JavaString(self.upper())

    def toLowerCase(self) -> "JavaString":  # noqa: N802
        return JavaString(self.lower())

    def trim(self) -> "JavaString":
        return JavaString(self.strip())

    def length(self) -> int:
        return len(self)

    def isEmpty(self) -> bool:  # noqa: N802
        return len(self) == 0

    def substring(self, begin: int, end: int | None = None) -> "JavaString":
        return JavaString(self[int(begin):] if end is None else self[int(begin):int(end)])

    def charAt(self, i: int) -> "JavaString":  # noqa: N802
        return JavaString(self[int(i)])

    def indexOf(self, s: str) -> int:  # noqa: N802
        return self.find(s)

    def contains(self, s: str) -> bool:
        return s in self

    def startsWith(self, s: str) -> bool:  # noqa: N802
        return self.startswith(s)

    def endsWith(self, s: str) -> bool:  # noqa: N802
        return self.endswith(s)

    def equals(self, other: Any) -> bool:
        return str(self) == str(other)

    def equalsIgnoreCase(self, other: Any) -> bool:  # noqa: N802
        return str(self).lower() == str(other).lower()

    def replaceAll(self, pattern: str, repl: str) -> "JavaString":  # noqa: N802
        return JavaString(re.sub(pattern, re.sub(r"\$(\d)", r"\\\1", repl), self))

    def matches(self, pattern: str) -> bool:
        return re.fullmatch(pattern, self) is not None

    def concat(self, other: Any) -> "JavaString":
        return JavaString(self + str(other))

    def toString(self) -> "JavaString":  # noqa: N802
        return self


def _java(value: Any) -> Any:
    if isinstance(value, str) and not isinstance(value, JavaString):
        return JavaString(value)
    if isinstance(value, list):
        return [_java(v) for v in value]
    return value


class TrackingDict(dict):  # type: ignore[type-arg]
    """A Velocity map that records which keys were read and which were asked for in vain."""

    def __init__(self, values: Mapping[str, Any] | None = None, *, label: str = "") -> None:
        super().__init__({k: _java(v) for k, v in (values or {}).items()})
        self.label = label
        self.read: list[str] = []
        self.missing: list[str] = []

    def _note(self, key: Any) -> bool:
        found = dict.__contains__(self, key)
        # airspeed tries obj["get"] before getattr(obj, "get"): a method name is not a missing key.
        if found or not (isinstance(key, str) and hasattr(type(self), key)):
            (self.read if found else self.missing).append(str(key))
        return found

    def __getitem__(self, key: Any) -> Any:
        if not self._note(key):
            raise KeyError(key)
        return dict.__getitem__(self, key)

    def get(self, key: Any, default: Any = None) -> Any:  # noqa: D102 - Velocity API
        return dict.__getitem__(self, key) if self._note(key) else default

    def containsKey(self, key: Any) -> bool:  # noqa: N802 - Java Map API
        return dict.__contains__(self, key)

    def size(self) -> int:
        return len(self)

    def isEmpty(self) -> bool:  # noqa: N802
        return not self


@functools.lru_cache(maxsize=128)
def _babel_locale(locale: str) -> Any:
    """A babel Locale for ``locale`` (language-only, then English when unknown), or None without babel."""
    try:
        from babel import Locale, UnknownLocaleError
    except ImportError:  # pragma: no cover - babel ships with jupyterlab_server
        return None
    tag = locale.replace("-", "_")
    for cand in (tag, tag.split("_")[0], "en"):
        try:
            return Locale.parse(cand)
        except (UnknownLocaleError, ValueError):
            continue
    return Locale.parse("en")  # pragma: no cover


class Formatter:
    """Locale-aware number formatting for Velocity (``$format``), using babel's CLDR data.

    Methods return None for a missing amount (so the reference stays visible) and raise
    ``ValueError`` for text that is not a number (reported as a Velocity execution error).
    """

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self._babel = _babel_locale(locale)

    @staticmethod
    def _amount(value: Any) -> Decimal | None:
        if value is None:
            return None
        try:
            return Decimal(str(value).strip().replace(",", "")) if not isinstance(value, Decimal) else value
        except InvalidOperation:
            raise ValueError(f"not a number: {value!r}") from None

    def currency(self, amount: Any, code: Any = "USD") -> str | None:
        """``1234.5, "EUR"`` -> ``€1,234.50`` (en), ``1 234,50 €`` (fr), ``1.234,50 €`` (de)."""
        value = self._amount(amount)
        if value is None:
            return None
        if self._babel is None:  # pragma: no cover
            return f"{code} {value:,.2f}"
        from babel.numbers import format_currency

        return JavaString(format_currency(value, str(code).upper(), locale=self._babel))

    def number(self, value: Any) -> str | None:
        """Grouped decimal number in the locale's style."""
        v = self._amount(value)
        if v is None:
            return None
        if self._babel is None:  # pragma: no cover
            return f"{v:,}"
        from babel.numbers import format_decimal

        return JavaString(format_decimal(v, locale=self._babel))

    def decimal(self, value: Any, digits: Any = 2) -> str | None:
        """Number with exactly ``digits`` fraction digits."""
        v = self._amount(value)
        if v is None:
            return None
        n = int(digits)
        if self._babel is None:  # pragma: no cover
            return f"{v:,.{n}f}"
        from babel.numbers import format_decimal

        fmt = "#,##0" + ("." + "0" * n if n > 0 else "")
        return JavaString(format_decimal(v, format=fmt, locale=self._babel))

    def percent(self, value: Any) -> str | None:
        """``0.25`` -> ``25%`` (locale style)."""
        v = self._amount(value)
        if v is None:
            return None
        if self._babel is None:  # pragma: no cover
            return f"{v * 100:.0f}%"
        from babel.numbers import format_percent

        return JavaString(format_percent(v, locale=self._babel))


def build_namespace(*, builtins: Mapping[str, str | None], contract_attributes: Mapping[str, Any],
                    user_attributes: Mapping[str, Any], request: Mapping[str, Any], messages: Messages,
                    format_locale: str, names: VelocityNames) -> dict[str, Any]:
    """The Velocity namespace for one request (fresh per evaluation: the tracking dicts record reads)."""
    ns = TrackingDict({k: v for k, v in builtins.items() if v is not None}, label="top")
    dict.__setitem__(ns, names.attributes, TrackingDict(contract_attributes, label="attributes"))
    dict.__setitem__(ns, names.request, TrackingDict(request, label="request"))
    dict.__setitem__(ns, names.user, TrackingDict(user_attributes, label="user"))
    dict.__setitem__(ns, names.messages, messages)
    dict.__setitem__(ns, names.format, Formatter(format_locale))
    return ns


@functools.lru_cache(maxsize=512)
def compile_template(source: str) -> airspeed.Template:
    """Parse once per distinct source (the simulator renders the same table for every request).

    Raises:
        airspeed.TemplateSyntaxError: with ``line`` and ``column``.
    """
    t = airspeed.Template(source)
    t.ensure_compiled()
    return t


@dataclass
class VelocityError:
    """A syntax or execution error in one variable's source, with its position."""

    kind: str  # "syntax" | "execution" | "forbidden"
    message: str
    line: int
    column: int


@dataclass
class VelocityResult:
    """The outcome of evaluating one variable."""

    name: str
    source: str
    value: str | None  # None when evaluation failed
    error: VelocityError | None = None
    unresolved: list[str] = field(default_factory=list)  # references printed as their own source
    attributes_missing: list[str] = field(default_factory=list)
    attributes_read: list[str] = field(default_factory=list)
    messages_missing: list[str] = field(default_factory=list)


# A Velocity reference as written: $name, $!name, ${name}, with .prop, .call(args) and [index] parts.
_REF_RE = re.compile(
    r"\$!?(?:\{[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_]*(?:\([^()]*\))?|\[[^\]]*\])*(?:\|[^}]*)?\}"
    r"|[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_]*(?:\([^()]*\))?|\[[^\]]*\])*)"
)
_FORBIDDEN_RE = re.compile(r"(?:(?<=[A-Za-z0-9_)\]])\.|\$!?\{?)(_[A-Za-z0-9_]*)")


def reference_texts(source: str) -> list[str]:
    """Velocity references in ``source`` as written (outermost only)."""
    return [m.group(0) for m in _REF_RE.finditer(source)]


def attribute_references(source: str, object_name: str = "attributes") -> list[str]:
    """Contract attribute names a source reads through ``object_name`` (static, every branch).

    Recognises ``$attributes.NAME``, ``${attributes.NAME}``, ``$!attributes.NAME``,
    ``$attributes.get("NAME")`` and ``$attributes["NAME"]``.
    """
    obj = re.escape(object_name)
    pats = [
        rf"\$!?\{{?{obj}\.(?!get\s*\(|containsKey\s*\()([A-Za-z_][A-Za-z0-9_]*)",
        rf"\$!?\{{?{obj}\.(?:get|containsKey)\(\s*[\"']([^\"']+)[\"']\s*\)",
        rf"\$!?\{{?{obj}\[\s*[\"']([^\"']+)[\"']\s*\]",
    ]
    found: list[str] = []
    for p in pats:
        for m in re.finditer(p, source):
            if m.group(1) not in found:
                found.append(m.group(1))
    return found


def _line_col(source: str, offset: int) -> tuple[int, int]:
    before = source[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


def evaluate_variable(name: str, source: str, namespace: dict[str, Any], names: VelocityNames) -> VelocityResult:
    """Merge one *PingOne Template Variable Value* against ``namespace``."""
    res = VelocityResult(name=name, source=source, value=None)
    bad = _FORBIDDEN_RE.search(source)
    if bad:
        line, col = _line_col(source, bad.start(1))
        res.error = VelocityError("forbidden", f"names starting with '_' are not allowed ({bad.group(1)!r})",
                                  line, col)
        return res
    try:
        template = compile_template(source)
    except airspeed.TemplateSyntaxError as exc:
        # airspeed: "line L, column C: expected X in Y, got: <next text> ..."; position kept separately.
        text = re.sub(r"^line \d+, column \d+: ", "", str(exc))
        text = re.sub(r", got:\s*\.\.\.$", ", got the end of the source", text)
        text = re.sub(r"\s*\.\.\.$", "", text)
        res.error = VelocityError("syntax", text, exc.line, exc.column)
        return res
    attrs = namespace[names.attributes]
    messages = namespace[names.messages]
    attrs.read.clear()
    attrs.missing.clear()
    messages.missing.clear()
    try:
        value = template.merge(namespace)
    except airspeed.TemplateExecutionError as exc:
        line, col = _line_col(source, exc.start)
        cause = exc.__cause__
        detail = f"{type(cause).__name__}: {cause}" if cause is not None else "execution failed"
        res.error = VelocityError("execution", f"in {exc.element.my_text()!r}: {detail}", line, col)
        return res
    except airspeed.TemplateError as exc:  # pragma: no cover - other engine errors
        res.error = VelocityError("execution", str(exc), 1, 1)
        return res
    res.value = value
    res.unresolved = [r for r in reference_texts(source) if not r.startswith("$!") and r in value]
    res.attributes_missing = list(dict.fromkeys(attrs.missing))
    res.attributes_read = list(dict.fromkeys(attrs.read))
    res.messages_missing = list(dict.fromkeys(messages.missing))
    return res
