"""Contract fulfillment of a CIBA request policy: which attributes reach the authenticator.

PingFederate fills the request policy's contract (``identityHintMapping.
attributeContractFulfillment``, an Admin API ``AttributeMapping``: name ->
``{"source": {"type": ...}, "value": ...}``) once per CIBA request and hands the authenticator only
its own contract: ``subject`` plus the authenticator's Extended Contract
(``attributeContract.extendedAttributes``). ``USER_KEY`` goes to the grant and
``USER_CODE_USER_NAME`` to the user-code PCV. The simulator does the same, for these source types:

| source type  | value means                                                              |
|--------------|--------------------------------------------------------------------------|
| ``TEXT``     | the literal value                                                        |
| ``REQUEST``  | an identity-hint contract attribute (``IDENTITY_HINT_SUBJECT``, or an     |
|              | extended one such as ``login_hint_token.attrs.mail``), else a claim path  |
|              | ``login_hint_token.<a>.<b>`` / ``id_token_hint.<a>``, else a request     |
|              | parameter of that name (``binding_message``, ``acr_values``...)           |
| ``CONTEXT``  | one of :data:`CONTEXT_ATTRIBUTES`                                        |
| ``NO_MAPPING`` | nothing: the attribute is absent                                        |
| ``EXPRESSION`` | OGNL is not evaluated: the attribute is absent and the transaction's    |
|              | ground truth (``TruthRecord.warnings``) says so                           |
| anything else (``LDAP_DATA_STORE``, ``JDBC_DATA_STORE``...) | absent, with a warning         |

The identity-hint contract itself: ``IDENTITY_HINT_SUBJECT`` is the hint token's ``sub`` (or the
``login_hint``); an extended identity-hint attribute is resolved like a ``REQUEST`` value (claim
path, then request parameter). ``identityHintContractFulfillment``, when present, re-maps those
attributes first (same source types). A request-parameter lookup beyond claim paths is ciba_kit's
choice (UNCONFIRMED: PingFederate documents REQUEST as "the request context such as the CIBA
identity hint contract").

Values: claims that are strings stay strings; numbers and booleans become their JSON text
(``42``, ``true``), lists become lists of such strings, objects their compact JSON. A policy
without a ``subject`` entry gets the implicit ``subject <- IDENTITY_HINT_SUBJECT`` (PingFederate's
Admin API requires the entry; simulator config files may omit it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Mapping

__all__ = ["CONTEXT_ATTRIBUTES", "SUPPORTED_SOURCE_TYPES", "RequestFacts", "Fulfillment", "compile_fulfillment"]

#: The CONTEXT source values the simulator knows (PingFederate's full set is larger; UNCONFIRMED names).
CONTEXT_ATTRIBUTES = {
    "ClientId": "the authenticated client's client_id",
    "ClientIp": "the IP address the backchannel request came from",
    "Scope": "the requested scopes, space-separated",
    "AcrValues": "the request's acr_values, as sent",
}

SUPPORTED_SOURCE_TYPES = ("TEXT", "REQUEST", "CONTEXT", "NO_MAPPING")

_HINT_SUBJECT = "IDENTITY_HINT_SUBJECT"
_CLAIM_ROOTS = ("login_hint_token", "id_token_hint")


@dataclass(slots=True)
class RequestFacts:
    """What one backchannel request offers to the contract fulfillment."""

    params: Mapping[str, Any]
    hint_name: str
    hint_subject: str
    hint_claims: Mapping[str, Any] | None
    client_id: str
    client_ip: str | None
    scopes: list[str]


def _text(v: Any) -> Any:
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, list):
        return [x if isinstance(x, str) else _text(x) for x in v]
    if isinstance(v, (bool, int, float)):
        return json.dumps(v)
    return json.dumps(v, separators=(",", ":"), sort_keys=True)


def _claim_path(facts: RequestFacts, path: str) -> Any:
    root, _, rest = path.partition(".")
    if root != facts.hint_name or facts.hint_claims is None or not rest:
        return None
    cur: Any = facts.hint_claims
    for part in rest.split("."):
        if not isinstance(cur, Mapping) or part not in cur:
            return None
        cur = cur[part]
    return cur


def _raw(facts: RequestFacts, name: str) -> Any:
    """A REQUEST value straight from the request (no identity-hint contract re-mapping)."""
    if name == _HINT_SUBJECT:
        return facts.hint_subject
    if name.split(".", 1)[0] in _CLAIM_ROOTS:
        return _text(_claim_path(facts, name))
    v = facts.params.get(name)
    return _text(v)


def _context(facts: RequestFacts, name: str) -> Any:
    if name == "ClientId":
        return facts.client_id
    if name == "ClientIp":
        return facts.client_ip
    if name == "Scope":
        return " ".join(facts.scopes)
    if name == "AcrValues":
        return facts.params.get("acr_values")
    return None


# One compiled entry: (attribute name, source type, value); TEXT values are final at compile time.
_Entry = tuple[str, str, Any]


def _entries(acf: Any, names: list[str], where: str, warnings: list[str]) -> list[_Entry]:
    out: list[_Entry] = []
    acf = acf if isinstance(acf, Mapping) else {}
    for name in names:
        entry = acf.get(name)
        if not isinstance(entry, Mapping):
            if name == "subject":
                out.append((name, "REQUEST", _HINT_SUBJECT))
            else:
                warnings.append(f"{where}: contract attribute {name!r} has no fulfillment (left out)")
            continue
        src = entry.get("source")
        stype = str((src.get("type") if isinstance(src, Mapping) else None) or "").upper()
        value = entry.get("value")
        if stype == "NO_MAPPING":
            continue
        if stype == "EXPRESSION":
            warnings.append(f"{where}: {name!r} uses an EXPRESSION (OGNL) source, which the simulator does not "
                            "evaluate (left out)")
            continue
        if stype not in SUPPORTED_SOURCE_TYPES:
            warnings.append(f"{where}: {name!r} uses source type {stype or '(none)'}, which the simulator does "
                            "not support (left out)")
            continue
        if stype == "CONTEXT" and value not in CONTEXT_ATTRIBUTES:
            warnings.append(f"{where}: {name!r} uses CONTEXT {value!r}; the simulator knows "
                            f"{', '.join(CONTEXT_ATTRIBUTES)} (left out)")
            continue
        out.append((name, stype, "" if value is None else str(value)))
    return out


@dataclass
class Fulfillment:
    """A request policy's contract fulfillment, compiled for one authenticator.

    Attributes:
        contract: the names the authenticator receives (``subject`` + its Extended Contract).
        warnings: configuration-level warnings (unsupported sources...), reported on every request.
    """

    contract: tuple[str, ...] = ("subject",)
    hint_entries: list[_Entry] = field(default_factory=list)
    hint_names: tuple[str, ...] = (_HINT_SUBJECT,)
    entries: list[_Entry] = field(default_factory=lambda: [("subject", "REQUEST", _HINT_SUBJECT)])
    warnings: list[str] = field(default_factory=list)

    def evaluate(self, facts: RequestFacts) -> tuple[dict[str, Any], list[str]]:
        """Fill the contract for one request.

        Returns:
            ``(values, warnings)``: every fulfilled attribute (``subject``, extended ones,
            ``USER_KEY``, ``USER_CODE_USER_NAME``; absent ones missing) and this request's own
            warnings (the configuration-level ones stay in :attr:`warnings`).
        """
        warnings: list[str] = []
        hint: dict[str, Any] = {_HINT_SUBJECT: facts.hint_subject}
        for name in self.hint_names:
            if name != _HINT_SUBJECT:
                hint[name] = _raw(facts, name)
        for name, stype, value in self.hint_entries:
            hint[name] = self._value(stype, value, facts, None)
        out: dict[str, Any] = {}
        for name, stype, value in self.entries:
            v = self._value(stype, value, facts, hint)
            if v is None:
                if stype == "REQUEST":
                    warnings.append(f"contract attribute {name!r}: request attribute {value!r} not found in this "
                                    "request (left out)")
                continue
            out[name] = v
        return out, warnings

    @staticmethod
    def _value(stype: str, value: Any, facts: RequestFacts, hint: dict[str, Any] | None) -> Any:
        if stype == "TEXT":
            return value
        if stype == "REQUEST":
            if hint is not None and value in hint:
                return hint[value]
            return _raw(facts, value)
        return _context(facts, value)

    def for_authenticator(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Only what the authenticator's contract declares (PingFederate passes nothing else)."""
        return {n: values[n] for n in self.contract if n in values}


def compile_fulfillment(policy: Mapping[str, Any], authenticator: Mapping[str, Any] | None) -> Fulfillment:
    """Compile a request-policy document's fulfillment against its authenticator's contract."""
    warnings: list[str] = []
    ac = (authenticator or {}).get("attributeContract") or {}
    extended = [str(a.get("name")) for a in ac.get("extendedAttributes") or []
                if isinstance(a, Mapping) and a.get("name")]
    contract = tuple(dict.fromkeys(["subject", *extended]))
    hc = policy.get("identityHintContract") or {}
    hint_names = tuple(dict.fromkeys([_HINT_SUBJECT, *(str(a.get("name")) for a in hc.get("extendedAttributes") or []
                                                        if isinstance(a, Mapping) and a.get("name"))]))
    hcf = (policy.get("identityHintContractFulfillment") or {}).get("attributeContractFulfillment")
    hint_entries: list[_Entry] = []
    if isinstance(hcf, Mapping):
        present = [n for n in hint_names if n in hcf]
        hint_entries = [e for e in _entries(hcf, present, "identityHintContractFulfillment", warnings)
                        if e != (_HINT_SUBJECT, "REQUEST", _HINT_SUBJECT)]  # the identity: skip the work
    acf = (policy.get("identityHintMapping") or {}).get("attributeContractFulfillment")
    names = list(contract)
    if isinstance(acf, Mapping):
        names += [n for n in ("USER_KEY", "USER_CODE_USER_NAME") if n in acf]
    entries = _entries(acf, names, "contract fulfillment", warnings)
    return Fulfillment(contract=contract, hint_entries=hint_entries, hint_names=hint_names, entries=entries,
                       warnings=warnings)
