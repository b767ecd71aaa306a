"""Simulator configuration files (``ciba-kit simulate --config FILE``, ``Simulator.start(config=...)``).

A JSON (``.json``) or TOML (``.toml``) document that overrides or adds to the demo configuration.
Documents use the PingFederate Admin API / PingOne API shapes; every top-level key is optional:

```json
{
  "base": "demo",                        // or "empty": start from nothing
  "settings": {"binding_message_pattern": "^.{1,64}$", "push_timeout_result": "pending",
               "push_enabled": false, "language_packs_dir": "demo",
               "overload_503_every_n": 0, "overload_retry_after_s": 2},   // SimulatorSettings fields
  "clients": [{"clientId": "my-app", "name": "My App", "grantTypes": ["CIBA"],
               "clientAuth": {"type": "SECRET", "secret": "s3cret"},
               "cibaDeliveryMode": "POLL", "cibaPollingInterval": 5}],
  "requestPolicies": [{"id": "...", "name": "...", "authenticatorRef": {"id": "..."},
                       "transactionLifetime": 300, "identityHintContract": {"coreAttributes": []}}],
  "outOfBandAuthPlugins": [{"id": "...", "pluginDescriptorRef": {"id": "..."}, "configuration": {...}}],
  "cibaServerPolicySettings": {"defaultRequestPolicyRef": {"id": "..."}},
  "passwordCredentialValidators": [{"id": "...", "configuration": {"tables": [...]}}],
  "users": [{"username": "erin", "persona": {"approve": 0.7, "deny": 0.2, "ignore": 0.1,
             "latency_median_s": 4}, "user_code": "9999", "locale": "fr", "paired": true}],
  "mfaPolicies": [{"id": "...", "default": true, "mobile": {"applications": [...]}}],
  "applications": [{"id": "...", "name": "...", "type": "NATIVE_APP"}],
  "templateContents": {"transaction": [{"deliveryMethod": "Push", "locale": "en", "title": "...", "body": "..."}]}
}
```
(``//`` comments are illustration only; JSON has none.) A user with ``"persona": null`` is manual.
A client's ``clientAuth.secret`` is moved to the write-only secret store.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import tomllib
from pathlib import Path
from typing import Any, Mapping

from ..protocol.errors import InputError
from .compiled import language_packs_dir
from .demo import add_user_to_state, demo_state
from .personas import persona_from_json
from .state import SimulatorSettings, SimulatorState

__all__ = ["load_config_file", "state_from_config", "apply_config"]

_KEYS = {"base", "settings", "clients", "requestPolicies", "outOfBandAuthPlugins", "cibaServerPolicySettings",
         "passwordCredentialValidators", "users", "mfaPolicies", "applications", "templateContents"}


def load_config_file(path: str | Path) -> dict[str, Any]:
    """Read a JSON or TOML config file.

    Raises:
        InputError: missing file, unreadable, or not a JSON/TOML object.
    """
    p = Path(path)
    field = f"--config {p}"
    if not p.is_file():
        raise InputError(field, "file not found", "give the path of a JSON or TOML simulator config")
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(field, f"cannot read it ({exc.__class__.__name__})", "check permissions and encoding")
    try:
        data = tomllib.loads(text) if p.suffix.lower() == ".toml" else json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(field, f"not valid JSON (line {exc.lineno} column {exc.colno}: {exc.msg})",
                         "fix the syntax, or use a .toml file for TOML")
    except tomllib.TOMLDecodeError as exc:
        raise InputError(field, f"not valid TOML ({exc})", "fix the syntax")
    if not isinstance(data, dict):
        raise InputError(field, "the top level must be an object", 'start the file with "{"')
    return data


def _items(data: Mapping[str, Any], key: str, id_key: str) -> list[dict[str, Any]]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise InputError(key, "must be a list of objects", f'e.g. "{key}": [{{"{id_key}": "..."}}]')
    for i, v in enumerate(value):
        if not isinstance(v.get(id_key), str) or not v.get(id_key):
            raise InputError(f"{key}[{i}].{id_key}", "is required (a non-empty string)", f"add \"{id_key}\"")
    return [copy.deepcopy(v) for v in value]


def _type_ok(cur: Any, v: Any) -> bool:
    if isinstance(cur, bool):
        return isinstance(v, bool)
    if isinstance(cur, (int, float)):
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    return isinstance(v, type(cur))


def apply_config(state: SimulatorState, data: Mapping[str, Any]) -> SimulatorState:
    """Apply a config document on top of ``state`` (in place); returns ``state``.

    Raises:
        InputError: unknown keys or wrongly shaped entries (naming the field).
    """
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise InputError(unknown[0], "unknown config key", f"use one of {', '.join(sorted(_KEYS))}")
    with state.lock:
        settings = data.get("settings", {})
        if not isinstance(settings, dict):
            raise InputError("settings", "must be an object", '"settings": {"push_enabled": true}')
        names = {f.name: f for f in dataclasses.fields(SimulatorSettings)}
        for k, v in settings.items():
            if k not in names:
                raise InputError(f"settings.{k}", "unknown setting", f"use one of {', '.join(names)}")
            cur = getattr(state.sim, k)
            if not _type_ok(cur, v):
                raise InputError(f"settings.{k}", f"must be a {type(cur).__name__}", f"current default: {cur!r}")
            if k == "push_timeout_result" and v not in ("access_denied", "pending"):
                raise InputError("settings.push_timeout_result", f"unknown value {v!r}", 'use "access_denied" or "pending"')
            if k == "language_packs_dir":
                language_packs_dir(v)  # fail at load time, naming the setting, rather than on a phone
            if k in ("overload_503_every_n", "overload_retry_after_s") and (not isinstance(v, int) or v < 0):
                raise InputError(f"settings.{k}", f"must be a whole number >= 0, got {v!r}",
                                 "use 0 to turn the overload drill off, e.g. 3 for every third token request")
            setattr(state.sim, k, v)
        for doc in _items(data, "clients", "clientId"):
            auth = doc.get("clientAuth") or {}
            if not isinstance(auth, dict):
                raise InputError(f"clients[{doc['clientId']}].clientAuth", "must be an object", '{"type": "SECRET"}')
            if "secret" in auth:
                state.pf.client_secrets[doc["clientId"]] = str(auth.pop("secret"))
            doc.setdefault("name", doc["clientId"])
            doc.setdefault("grantTypes", ["CIBA"])
            state.pf.clients[doc["clientId"]] = doc
        for doc in _items(data, "requestPolicies", "id"):
            state.pf.request_policies[doc["id"]] = doc
        for doc in _items(data, "outOfBandAuthPlugins", "id"):
            state.pf.oob_plugins[doc["id"]] = doc
        for doc in _items(data, "passwordCredentialValidators", "id"):
            state.pf.pcvs[doc["id"]] = doc
        for doc in _items(data, "mfaPolicies", "id"):
            state.p1.mfa_policies[doc["id"]] = doc
        for doc in _items(data, "applications", "id"):
            state.p1.applications[doc["id"]] = doc
        if "cibaServerPolicySettings" in data:
            s = data["cibaServerPolicySettings"]
            if not isinstance(s, dict):
                raise InputError("cibaServerPolicySettings", "must be an object",
                                 '{"defaultRequestPolicyRef": {"id": "..."}}')
            state.pf.ciba_settings = copy.deepcopy(s)
        tc = data.get("templateContents", {})
        if not isinstance(tc, dict) or not all(isinstance(v, list) for v in tc.values()):
            raise InputError("templateContents", "must map template names to lists of contents",
                             '{"transaction": [{"locale": "en", "title": "...", "body": "..."}]}')
        for name, contents in tc.items():
            state.p1.template_contents[name] = copy.deepcopy(contents)
        for i, u in enumerate(_items(data, "users", "username")):
            extra = sorted(set(u) - {"username", "persona", "user_code", "locale", "paired", "email"})
            if extra:
                raise InputError(f"users[{i}].{extra[0]}", "unknown member",
                                 "use username, persona, user_code, locale, paired, email")
            persona = persona_from_json(u.get("persona"), field=f"users[{i}].persona")
            add_user_to_state(state, u["username"], persona=persona,
                              user_code=str(u["user_code"]) if u.get("user_code") is not None else None,
                              locale=u.get("locale"), paired=bool(u.get("paired", True)), email=u.get("email"))
        state.touch()
    return state


def state_from_config(config: Any = None) -> SimulatorState:
    """Build the state from ``None`` (demo), a config dict, a file path, or a ready SimulatorState."""
    if isinstance(config, SimulatorState):
        return config
    if config is None:
        return demo_state()
    data = load_config_file(config) if isinstance(config, (str, Path)) else config
    if not isinstance(data, Mapping):
        raise InputError("config", f"expected a dict, a file path or a SimulatorState, got {type(data).__name__}",
                         "pass None for the demo configuration")
    base = data.get("base", "demo")
    if base not in ("demo", "empty"):
        raise InputError("base", f"unknown base {base!r}", 'use "demo" or "empty"')
    state = demo_state() if base == "demo" else SimulatorState()
    return apply_config(state, data)
