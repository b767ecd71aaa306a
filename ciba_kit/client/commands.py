"""``ciba-kit request``: send one CIBA request and follow it to the end (DESIGN.md "Command line").

This is command-line glue, the one client module allowed to import ``ciba_kit.simulator``: without
``--issuer`` it starts the embedded simulator in-process (demo configuration) and targets it, taking
the demo client's authentication method, secret, delivery mode and notification endpoint from the
simulator's configuration so ``ciba-kit request --client-id demo-poll --login-hint alice`` just works.
The client core (``client.py`` and friends) never imports the simulator.

Exit status: 0 approved; 1 the flow ended without tokens; 2 bad usage or config (one line, no
traceback); 3 transport or protocol failure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import warnings
from contextlib import ExitStack
from typing import Any

from ..protocol import jose
from ..protocol.constants import DeliveryMode, Outcome
from ..protocol.errors import CibaError, DiscoveryError, InputError, ProtocolError, TransportError
from ..protocol.masking import mask_text
from .auth import SECRET_ENV_VAR, ClientAuth, PrivateKeyJwt, auth_for_method
from .client import CibaClient
from .models import FlowResult
from .receiver import NotificationReceiver

__all__ = ["request_command", "auth_from_args", "signing_from_args", "cli_message", "EXIT_APPROVED", "EXIT_NO_TOKENS", "EXIT_USAGE", "EXIT_TRANSPORT"]

EXIT_APPROVED, EXIT_NO_TOKENS, EXIT_USAGE, EXIT_TRANSPORT = 0, 1, 2, 3
DEFAULT_NOTIFICATION_ENDPOINT = "http://127.0.0.1:9032/cb"
# PingFederate Admin API clientAuth.type -> token endpoint auth method.
_PF_AUTH = {"SECRET": "client_secret_basic", "CLIENT_SECRET_JWT": "client_secret_jwt",
            "PRIVATE_KEY_JWT": "private_key_jwt", "CERTIFICATE": "tls_client_auth"}


def _get(args: argparse.Namespace, name: str, default: Any = None) -> Any:
    return getattr(args, name, default)


#: Library field names whose command-line option is spelled differently.
_FLAG_ALIASES = {"request_signing_key": "private_key"}


def cli_message(exc: BaseException, args: argparse.Namespace) -> str:
    """The error text for the command line: an :class:`InputError` names the option to fix.

    The library names its keyword arguments (``private_key``, ``notification_endpoint``); a user
    at the shell typed ``--private-key``, ``--notification-endpoint``.
    """
    if not isinstance(exc, InputError) or exc.field.startswith("--"):
        return str(exc)
    name = _FLAG_ALIASES.get(exc.field, exc.field)
    if name not in vars(args):
        return str(exc)
    text = f"--{name.replace('_', '-')}: {exc.problem}"
    return f"{text} — {exc.fix}" if exc.fix else text


def _fail(code: int, message: str, secrets: list[str | None]) -> int:
    first = (mask_text(message, secrets).splitlines() or [""])[0]
    print(f"ciba-kit request: error: {first}", file=sys.stderr)
    return code


def _embedded(stack: ExitStack) -> Any:
    # CLI glue exception to the floors rule: see the module docstring.
    from ..simulator import Simulator

    return stack.enter_context(Simulator.start())


def _embedded_client_doc(sim: Any, client_id: str) -> dict[str, Any] | None:
    with sim.state.lock:
        doc = sim.state.pf.clients.get(client_id)
        return dict(doc) if doc else None


def auth_from_args(args: argparse.Namespace, sim: Any = None, doc: dict[str, Any] | None = None) -> ClientAuth:
    """The client authentication the command-line options ask for (shared by ``request`` and ``run``).

    With the embedded simulator (``sim``) the demo client's document ``doc`` supplies the method and
    secret the options leave out, and ``private_key_jwt`` defaults to the demo-only key.
    """
    method = _get(args, "auth_method")
    secret = _get(args, "client_secret") or os.environ.get(SECRET_ENV_VAR)
    key_file = _get(args, "private_key")
    if sim is not None and doc is not None:
        method = method or _PF_AUTH.get(str(doc.get("clientAuth", {}).get("type", "SECRET")), "client_secret_basic")
        if secret is None:
            with sim.state.lock:
                secret = sim.state.pf.client_secrets.get(args.client_id)
    method = (method or ("private_key_jwt" if key_file else "client_secret_basic")).replace("-", "_").lower()
    if method in ("tls_client_auth", "self_signed_tls_client_auth"):
        raise InputError("--auth-method", f"{method} needs a client certificate, which the command line cannot pass",
                         "use the Python API (TlsClientAuth(cert, key)) or a secret / private_key_jwt client")
    key: Any = None
    if method == "private_key_jwt":  # other methods use --private-key only to sign requests
        key = _read_key_file(args)
        if key is None and sim is not None:
            key = jose.demo_client_key()  # demo-only key, valid only against the embedded simulator
    return auth_for_method(method, secret=secret, private_key=key)


def _read_key_file(args: argparse.Namespace) -> str | None:
    """The text of ``--private-key FILE`` (``None`` without the option)."""
    key_file = _get(args, "private_key")
    if not key_file:
        return None
    try:
        with open(key_file, encoding="utf-8") as f:
            return f.read()
    except FileNotFoundError:
        raise InputError("--private-key", f"file {key_file!r} not found", "pass a JWK or PEM private key file") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not a text file"
        raise InputError("--private-key", f"cannot read {key_file!r} ({reason})",
                         "pass a JWK or PEM private key file (DER is not supported)") from None


def signing_from_args(args: argparse.Namespace, auth: ClientAuth, doc: dict[str, Any] | None = None) -> dict[str, Any]:
    """:class:`CibaClient` options for signed request objects (``--sign-request``, ``--private-key``).

    An embedded client that requires signed requests (``doc``) gets them without ``--sign-request``.
    A private_key_jwt client signs with its own key; any other client signs with ``--private-key``.

    Raises:
        InputError: signing asked for, but no key to sign with (names ``--private-key``).
    """
    sign = bool(_get(args, "sign_request")) or bool(doc and doc.get("cibaRequireSignedRequests"))
    opts: dict[str, Any] = {"sign_requests": sign}
    if not sign or isinstance(auth, PrivateKeyJwt):
        return opts
    key = _read_key_file(args)
    if key is None:
        raise InputError("--private-key", f"signed requests need a private key, and {auth.method.value} has none",
                         "pass --private-key FILE (a JWK or PEM private key registered for the client)")
    opts["request_signing_key"] = key
    return opts


async def _run(args: argparse.Namespace, issuer: str, auth: ClientAuth, mode: DeliveryMode,
               receiver: NotificationReceiver | None, opts: dict[str, Any]) -> FlowResult:
    client = await CibaClient.adiscover(issuer, args.client_id, auth=auth, mode=mode, receiver=receiver,
                                        user_code=_get(args, "user_code") is not None, **opts)
    try:
        return await client.authenticate(
            login_hint=_get(args, "login_hint"), login_hint_token=_get(args, "login_hint_token"),
            id_token_hint=_get(args, "id_token_hint"), scope=_get(args, "scope") or "openid",
            binding_message=_get(args, "binding_message"), user_code=_get(args, "user_code"),
            requested_expiry=_get(args, "requested_expiry"), acr_values=_get(args, "acr_values"),
            timeout=_get(args, "timeout"))
    finally:
        await client.aclose()


def _print_human(flow: FlowResult) -> None:
    print(f"outcome: {flow.outcome.value}  (client {flow.client_id}, mode {flow.mode.value}, polls {flow.polls}, "
          f"slow_downs {flow.slow_downs})")
    if flow.error:
        print(f"error: {flow.error}: {flow.error_description or ''}")
        if flow.hint:
            print(f"hint: {flow.hint}")
    lat = flow.latency
    print("latency_s: " + ", ".join(f"{k}={v}" for k, v in lat.to_dict().items() if v is not None))
    for ev in flow.timeline:
        status = "" if ev.status is None else f" HTTP {ev.status}"
        err = f" {ev.error}" if ev.error else ""
        detail = f" ({ev.detail})" if ev.detail else ""
        print(f"  {ev.t:8.3f}s  {ev.kind}{status}{err}{detail}")
    if flow.id_token_claims:
        print("id_token_claims: " + json.dumps(flow.safe_claims(), sort_keys=True))


def request_command(args: argparse.Namespace) -> int:
    """Run ``ciba-kit request`` with the parsed ``args``; returns the exit status."""
    secrets: list[str | None] = [_get(args, "client_secret"), os.environ.get(SECRET_ENV_VAR),
                                 _get(args, "login_hint_token"), _get(args, "id_token_hint"), _get(args, "user_code")]
    with ExitStack() as stack:
        try:
            timeout = _get(args, "timeout")
            if timeout is not None and not timeout > 0:
                raise InputError("--timeout", f"must be a positive number of seconds, got {timeout:g}", "e.g. --timeout 60")
            issuer = _get(args, "issuer")
            sim = None
            doc = None
            if not issuer:
                sim = _embedded(stack)
                issuer = sim.issuer
                doc = _embedded_client_doc(sim, args.client_id)
                if doc is None:
                    raise InputError("--client-id", f"the embedded simulator has no client {args.client_id!r}",
                                     "use demo-poll, demo-post, demo-ping, demo-jwt, demo-signed or demo-nociba")
            auth = auth_from_args(args, sim, doc)
            secrets += auth.secrets()
            opts = signing_from_args(args, auth, doc)
            mode_s = _get(args, "mode") or (str(doc.get("cibaDeliveryMode") or "poll").lower() if doc else "poll")
            mode = DeliveryMode(mode_s)
            receiver = None
            if mode != DeliveryMode.POLL:
                url = _get(args, "notification_endpoint") or (doc or {}).get("cibaNotificationEndpoint") \
                    or DEFAULT_NOTIFICATION_ENDPOINT
                receiver = NotificationReceiver.start(url)
                stack.callback(receiver.stop)
                if sim is not None and _get(args, "notification_endpoint"):
                    with sim.state.lock:
                        sim.state.pf.clients[args.client_id]["cibaNotificationEndpoint"] = url
                        sim.state.touch()
            if _get(args, "insecure"):
                print("ciba-kit request: warning: --insecure: TLS verification off, plain http allowed",
                      file=sys.stderr)
                opts.update(verify=False, allow_insecure_http=True)
            elif _get(args, "ca_bundle"):
                opts["verify"] = args.ca_bundle
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the one-line warning above is the user-facing one
                flow = asyncio.run(_run(args, issuer, auth, mode, receiver, opts))
        except (InputError, DiscoveryError) as exc:
            return _fail(EXIT_USAGE, cli_message(exc, args), secrets)
        except CibaError as exc:  # TransportError, ProtocolError, ...
            return _fail(EXIT_TRANSPORT, str(exc), secrets)
        except ValueError as exc:  # e.g. a key that cannot sign
            return _fail(EXIT_USAGE, str(exc), secrets)
    if _get(args, "json"):
        print(mask_text(json.dumps(flow.to_dict(), sort_keys=False), secrets))
    else:
        _print_human(flow)
    if flow.outcome == Outcome.APPROVED:
        return EXIT_APPROVED
    if isinstance(flow.exception, (TransportError, ProtocolError)):
        return EXIT_TRANSPORT
    return EXIT_NO_TOKENS
