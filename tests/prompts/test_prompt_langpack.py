"""Language packs: .properties parsing and Java ResourceBundle fallback (fr_CA -> fr -> base)."""

from __future__ import annotations

import pytest

from ciba_kit.prompts import LanguagePack, parse_properties
from ciba_kit.prompts.langpack import locale_chain
from ciba_kit.protocol.errors import InputError


def test_parse_properties_syntax() -> None:
    text = (
        "# comment\n! also a comment\n\n"
        "plain=value\n"
        "spaced : with colon\n"
        "bare value after space\n"
        "cont = first \\\n    second\n"
        "esc=tab\\there\\nnewline \\u00e9t\\u00e9\n"
        "key\\ with\\ spaces = v\n"
        "empty=\n"
        "trailing.backslash=a\\\\\n"
    )
    assert parse_properties(text) == {
        "plain": "value", "spaced": "with colon", "bare": "value after space", "cont": "first second",
        "esc": "tab\there\nnewline été", "key with spaces": "v", "empty": "", "trailing.backslash": "a\\",
    }


def test_locale_chain() -> None:
    assert locale_chain("fr-CA") == ["fr_CA", "fr", ""]
    assert locale_chain("FR_ca") == ["fr_CA", "fr", ""]
    assert locale_chain(None) == [""]
    assert locale_chain("de", default_locale="en_US") == ["de", "en_US", "en", ""]


def test_fallback_key_by_key(pack) -> None:
    msgs = pack.messages("fr-CA")
    assert msgs["greeting"] == "Allô {0}"  # fr_CA
    assert msgs["purchase.label"] == "Achat"  # fr
    assert msgs.sources == {"greeting": "fr_CA", "purchase.label": "fr"}
    assert pack.get("purchase.label", "ja") == "Purchase"  # base
    assert pack.get("nope", "fr") is None
    assert pack.chain("fr-CA") == ["fr_CA", "fr", ""]
    assert pack.chain("de") == [""]


def test_messages_format_and_quotes() -> None:
    msgs = LanguagePack({"": {"k": "It''s {0} of {1} ({2})"}}).messages("en")
    assert msgs.format("k", 1, 2) == "It's 1 of 2 ({2})"
    assert msgs.format("nope") is None and msgs.missing == ["nope"]


def test_from_dir(tmp_path) -> None:
    (tmp_path / "pingone-mfa-messages.properties").write_text("a=base\nb=base\n", encoding="utf-8")
    (tmp_path / "pingone-mfa-messages_fr.properties").write_text("a=fr\n", encoding="utf-8")
    (tmp_path / "pingone-mfa-messages_fr_CA.properties").write_bytes("b=qu\xe9bec\n".encode("latin-1"))
    (tmp_path / "other-messages_fr.properties").write_text("a=other\n", encoding="utf-8")
    pack = LanguagePack.from_dir(tmp_path)
    assert pack.locales == ["", "fr", "fr_CA"]
    assert pack.messages("fr-CA") == {"a": "fr", "b": "québec"}
    assert "fr_CA" in repr(pack)
    with pytest.raises(InputError, match="no nothing-here"):
        LanguagePack.from_dir(tmp_path / "..", name="nothing-here")
    with pytest.raises(InputError, match="not a directory"):
        LanguagePack.from_dir(tmp_path / "missing")


def test_merge() -> None:
    merged = LanguagePack.merge([LanguagePack({"": {"a": "1", "b": "1"}}), LanguagePack({"": {"b": "2"}})])
    assert merged.messages(None) == {"a": "1", "b": "2"}
