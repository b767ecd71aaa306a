"""The rules of the house (DESIGN.md): floors import downward only, the public face is curated."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import ciba_kit

PKG = Path(ciba_kit.__file__).parent

# package -> ciba_kit packages it may import. client/ and simulator/ meet only over HTTP.
ALLOWED: dict[str, set[str]] = {
    "protocol": set(),
    "prompts": {"protocol"},
    "client": {"protocol"},
    "simulator": {"protocol", "prompts"},
    "setup": {"protocol", "prompts", "client"},
    "runs": {"protocol", "client", "simulator", "prompts", "setup"},
    "analysis": {"protocol", "runs"},
    "widgets": {"protocol", "prompts", "client", "simulator", "setup", "runs", "analysis"},
}
# `commands.py` modules are command-line glue (they may start the embedded simulator).
GLUE = {"commands.py"}


def _ciba_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    pkg = path.relative_to(PKG).parts[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                names = [node.module or ""]
            elif node.level == 1:
                names = [f"ciba_kit.{pkg}"]
            else:  # from ..x import y
                names = [f"ciba_kit.{node.module}" if node.module else f"ciba_kit.{a.name}" for a in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "ciba_kit" and len(parts) > 1:
                found.add(parts[1])
    found.discard(pkg)
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_floors_import_downward_only(package: str) -> None:
    bad = []
    for path in sorted((PKG / package).rglob("*.py")):
        if path.name in GLUE:
            continue
        extra = _ciba_imports(path) - ALLOWED[package]
        if extra:
            bad.append(f"{path.relative_to(PKG)} imports {sorted(extra)}")
    assert not bad, "imports against the floors:\n" + "\n".join(bad)


def test_protocol_does_no_io() -> None:
    io_libs = {"httpx", "aiohttp", "starlette", "uvicorn", "socket", "sqlite3", "requests"}
    bad = []
    for path in (PKG / "protocol").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            bad += [f"{path.name}: {m}" for m in mods if m.split(".")[0] in io_libs]
    assert not bad


def test_every_public_name_resolves() -> None:
    missing = []
    for name in ciba_kit.__all__:
        try:
            getattr(ciba_kit, name)
        except (AttributeError, ImportError) as exc:
            missing.append(f"{name}: {exc}")
    assert not missing, "\n".join(missing)
    assert ciba_kit.__all__ == sorted(ciba_kit.__all__, key=str.lower)


def test_one_exception_class_per_error_code() -> None:
    from ciba_kit.protocol.constants import ErrorCode
    from ciba_kit.protocol.errors import ERROR_CLASSES, OAuthError

    assert set(ERROR_CLASSES) == {c.value for c in ErrorCode}
    for code, cls in ERROR_CLASSES.items():
        assert issubclass(cls, OAuthError) and issubclass(cls, ciba_kit.CibaError)
        assert cls.default_hint, f"{code} has no setup hint"
        assert len({ERROR_CLASSES[c] for c in ERROR_CLASSES}) == len(ERROR_CLASSES)


def test_cli_parses_every_documented_command() -> None:
    from ciba_kit.cli import build_parser

    parser = build_parser()
    samples = [
        ["simulate", "--port", "0", "--seed", "3"],
        ["request", "--client-id", "demo-poll", "--login-hint", "alice", "--json"],
        ["run", "--client-id", "demo-poll", "--population", "10", "--flows", "5", "--concurrency", "2",
         "--db", "x.db"],
        ["report", "--db", "x.db", "--out", "out"],
        ["preview", "--title", "T", "--body", "B", "--var", "a=1", "--json"],
        ["setup", "plan", "--profile", "p.toml"],
        ["doctor", "--issuer", "http://127.0.0.1:1", "--issuer", "http://127.0.0.1:2"],
    ]
    for argv in samples:
        ns = parser.parse_args(argv)
        assert ns.command == argv[0]
        mod, func = importlib.import_module("ciba_kit.cli")._COMMANDS[argv[0]]
        assert mod.startswith("ciba_kit.") and func.endswith("_command")
