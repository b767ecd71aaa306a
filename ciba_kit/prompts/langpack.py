"""PingFederate language packs: ``.properties`` files per locale with Java ResourceBundle fallback.

PingFederate keeps them in ``<pf_install>/pingfederate/server/default/conf/language-packs`` as
``pingone-mfa-messages.properties`` (base) and ``pingone-mfa-messages_<locale>.properties``
(``_fr``, ``_fr_CA``...). A lookup for ``fr-CA`` tries ``fr_CA``, then ``fr``, then the base file,
key by key, the way ``java.util.ResourceBundle`` chains parents.

(Java also inserts the JVM's default locale before the base bundle; PingFederate's JVM default is
usually English, which is what the base file holds, so we leave that step out unless
``default_locale`` is given.)
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterable, Mapping

from ..protocol.errors import InputError

__all__ = ["LanguagePack", "parse_properties", "locale_chain", "Messages", "DEFAULT_BUNDLE"]

#: The authenticator's default *Messages Files* value.
DEFAULT_BUNDLE = "pingone-mfa-messages"


def parse_properties(text: str) -> dict[str, str]:
    """Parse Java ``.properties`` text (comments, ``=``/``:``/space separators, continuations, escapes)."""
    out: dict[str, str] = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].lstrip(" \t\f")
        i += 1
        if not line or line[0] in "#!":
            continue
        # A line ending in an odd number of backslashes continues on the next one.
        while _continues(line) and i < len(lines):
            line = line[:-1] + lines[i].lstrip(" \t\f")
            i += 1
        if _continues(line):
            line = line[:-1]
        key_chars: list[str] = []
        j = 0
        while j < len(line):
            ch = line[j]
            if ch == "\\" and j + 1 < len(line):
                key_chars.append(line[j:j + 2])
                j += 2
                continue
            if ch in "=: \t\f":
                break
            key_chars.append(ch)
            j += 1
        rest = line[j:].lstrip(" \t\f")
        if rest[:1] in ("=", ":"):
            rest = rest[1:].lstrip(" \t\f")
        out[_unescape("".join(key_chars))] = _unescape(rest)
    return out


def _continues(line: str) -> bool:
    n = len(line) - len(line.rstrip("\\"))
    return n % 2 == 1


_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}


def _unescape(s: str) -> str:
    def repl(m: re.Match[str]) -> str:
        esc = m.group(1)
        if esc.startswith("u"):
            return chr(int(esc[1:], 16))
        return _ESCAPES.get(esc, esc)

    return re.sub(r"\\(u[0-9a-fA-F]{4}|.)", repl, s)


def _norm(locale: str) -> str:
    """``fr-ca`` / ``fr_CA`` -> ``fr_CA`` (Java's file suffix form)."""
    parts = re.split(r"[-_]", locale.strip())
    if not parts or not parts[0]:
        return ""
    out = [parts[0].lower()]
    for p in parts[1:]:
        out.append(p.upper() if len(p) == 2 else p)
    return "_".join(out)


def locale_chain(locale: str | None, *, default_locale: str | None = None) -> list[str]:
    """Bundle suffixes a ResourceBundle lookup tries, most specific first; ``""`` is the base file.

    >>> locale_chain("fr-CA")
    ['fr_CA', 'fr', '']
    """
    chain: list[str] = []
    for loc in (locale, default_locale):
        if not loc:
            continue
        parts = _norm(loc).split("_")
        for n in range(len(parts), 0, -1):
            cand = "_".join(parts[:n])
            if cand and cand not in chain:
                chain.append(cand)
    chain.append("")
    return chain


class Messages(dict):  # type: ignore[type-arg]
    """Language-pack messages for one locale, as Velocity sees them.

    ``$messages.get("key")``, ``$messages.key`` and ``$messages.format("key", arg0, arg1)``
    (``{0}``-style MessageFormat arguments). A missing key yields None, so Velocity prints the
    reference unchanged and the lint reports it. ``missing`` records the keys asked for in vain.
    """

    def __init__(self, values: Mapping[str, str], *, locale: str = "", sources: Mapping[str, str] | None = None):
        super().__init__(values)
        self.locale = locale
        self.sources = dict(sources or {})  # key -> bundle suffix it came from
        self.missing: list[str] = []

    def __getitem__(self, key: str) -> Any:
        if not dict.__contains__(self, key):
            # airspeed tries obj["get"] before getattr(obj, "get"): a method name is not a missing key.
            if not hasattr(type(self), key):
                self.missing.append(key)
            raise KeyError(key)
        return dict.__getitem__(self, key)

    def get(self, key: str, default: Any = None) -> Any:  # noqa: D102 - Velocity API
        if not dict.__contains__(self, key):
            self.missing.append(key)
            return default
        return dict.__getitem__(self, key)

    def format(self, key: str, *args: Any) -> str | None:
        """Java MessageFormat-like: ``{0}``, ``{1}``... replaced by ``args``; ``''`` is a quote."""
        pattern = self.get(key)
        if pattern is None:
            return None

        def repl(m: re.Match[str]) -> str:
            idx = int(m.group(1))
            return str(args[idx]) if idx < len(args) else m.group(0)

        return re.sub(r"\{(\d+)\}", repl, pattern).replace("''", "'")


class LanguagePack:
    """A set of ``.properties`` bundles for one base name, by locale suffix.

    Args:
        bundles: suffix -> messages; ``""`` is the base file, ``"fr"``, ``"fr_CA"``... the locales.
        name: bundle base name (the authenticator's *Messages Files*), default ``pingone-mfa-messages``.
        default_locale: optional JVM default locale tried before the base bundle.
    """

    def __init__(self, bundles: Mapping[str, Mapping[str, str]] | None = None, *, name: str = DEFAULT_BUNDLE,
                 default_locale: str | None = None) -> None:
        self.name = name
        self.default_locale = default_locale
        self.bundles: dict[str, dict[str, str]] = {_norm(k) if k else "": dict(v) for k, v in (bundles or {}).items()}

    @classmethod
    def from_dir(cls, directory: str | Path, *, name: str = DEFAULT_BUNDLE,
                 default_locale: str | None = None) -> "LanguagePack":
        """Load ``<name>.properties`` and ``<name>_<locale>.properties`` from a directory.

        Raises:
            InputError: the directory does not exist or holds no file of that bundle.
        """
        d = Path(directory)
        if not d.is_dir():
            raise InputError("language_pack", f"not a directory: {d}", "give PingFederate's language-packs folder")
        bundles: dict[str, dict[str, str]] = {}
        for f in sorted(d.glob(f"{name}*.properties")):
            stem = f.name[: -len(".properties")]
            if stem == name:
                suffix = ""
            elif stem.startswith(name + "_"):
                suffix = stem[len(name) + 1:]
            else:
                continue
            # Java 9+ reads .properties as UTF-8 first; older files are ISO-8859-1 with \u escapes.
            raw = f.read_bytes()
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = raw.decode("latin-1")
            bundles[suffix] = parse_properties(text)
        if not bundles:
            raise InputError("language_pack", f"no {name}*.properties in {d}",
                             f"add {name}.properties (and {name}_<locale>.properties files)")
        return cls(bundles, name=name, default_locale=default_locale)

    @property
    def locales(self) -> list[str]:
        """Locale suffixes present (base bundle as ``""``)."""
        return sorted(self.bundles)

    def chain(self, locale: str | None) -> list[str]:
        """Bundles consulted for ``locale`` (present ones only), most specific first."""
        return [s for s in locale_chain(locale, default_locale=self.default_locale) if s in self.bundles]

    def messages(self, locale: str | None) -> Messages:
        """All keys visible for ``locale`` after fallback (most specific bundle wins, key by key)."""
        values: dict[str, str] = {}
        sources: dict[str, str] = {}
        for suffix in reversed(self.chain(locale)):
            for k, v in self.bundles[suffix].items():
                values[k] = v
                sources[k] = suffix
        return Messages(values, locale=_norm(locale or ""), sources=sources)

    def get(self, key: str, locale: str | None) -> str | None:
        """One message for ``locale`` with fallback, or None."""
        for suffix in self.chain(locale):
            if key in self.bundles[suffix]:
                return self.bundles[suffix][key]
        return None

    def keys(self) -> set[str]:
        """Every key of any bundle."""
        out: set[str] = set()
        for b in self.bundles.values():
            out.update(b)
        return out

    def __repr__(self) -> str:
        shown = ", ".join(s or "base" for s in self.locales)
        return f"LanguagePack({self.name!r}: {shown})"

    @staticmethod
    def merge(packs: Iterable["LanguagePack"]) -> "LanguagePack":
        """One pack from several (later packs override earlier ones), like several *Messages Files*."""
        merged: dict[str, dict[str, str]] = {}
        name = DEFAULT_BUNDLE
        for p in packs:
            name = p.name
            for s, b in p.bundles.items():
                merged.setdefault(s, {}).update(b)
        return LanguagePack(merged, name=name)
