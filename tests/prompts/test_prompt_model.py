"""Template content model: validation names the field; PingOne API JSON round trip."""

from __future__ import annotations

import json

import pytest

from ciba_kit.prompts import PromptContext, PromptTemplate, PushCategory, ScopeInfo, load_templates, save_templates
from ciba_kit.protocol.errors import InputError


def test_defaults_and_api_shape() -> None:
    t = PromptTemplate("T", "B")
    assert (t.template_name, t.locale, t.category, t.delivery_method, t.variant) == (
        "transaction", "en", PushCategory.BANNER_BUTTONS, "Push", None)
    assert t.to_api() == {"deliveryMethod": "Push", "locale": "en", "title": "T", "body": "B",
                          "pushCategory": "BANNER_BUTTONS"}


def test_from_api_round_trip() -> None:
    doc = {"id": "c1", "template": {"name": "general"}, "deliveryMethod": "Push", "locale": "fr-CA",
           "variant": "Ciba-Purchase", "title": "t", "body": "b", "pushCategory": "APPROVE_AND_OPEN_APP"}
    t = PromptTemplate.from_api(doc)
    assert (t.template_name, t.locale, t.variant, t.category, t.id) == (
        "general", "fr-CA", "Ciba-Purchase", PushCategory.APPROVE_AND_OPEN_APP, "c1")
    back = t.to_api()
    assert back["variant"] == "Ciba-Purchase" and back["pushCategory"] == "APPROVE_AND_OPEN_APP" and back["id"] == "c1"
    assert PromptTemplate.from_api(back, template_name="general") == t


def test_category_lowercase_accepted_and_terraform_name() -> None:
    assert PromptTemplate.from_api({"title": "t", "body": "b", "category": "without_banner_buttons"}).category \
        is PushCategory.WITHOUT_BANNER_BUTTONS


@pytest.mark.parametrize("doc, field", [
    ({"body": "b"}, "title"),
    ({"title": "t"}, "body"),
    ({"title": 3, "body": "b"}, "title"),
    ({"title": "t", "body": "b", "pushCategory": "BUTTONS"}, "pushCategory"),
    ({"title": "t", "body": "b", "variant": "x" * 101}, "variant"),
    ({"title": "t", "body": "b", "variant": 7}, "variant"),
    ({"title": "t", "body": "b", "locale": "not a locale"}, "locale"),
    ({"title": "t", "body": "b", "deliveryMethod": "SMS"}, "deliveryMethod"),
])
def test_validation_names_the_field(doc: dict, field: str) -> None:
    with pytest.raises(InputError) as err:
        PromptTemplate.from_api(doc)
    assert err.value.field == field
    assert err.value.fix


def test_variant_at_limit_is_fine() -> None:
    assert PromptTemplate("t", "b", variant="v" * 100).variant == "v" * 100


def test_load_save_files(tmp_path) -> None:
    ts = [PromptTemplate("a", "b"), PromptTemplate("c", "d", locale="fr", variant="v")]
    path = save_templates(tmp_path / "contents.json", ts)
    assert load_templates(path) == ts
    # PingOne collection shape; non-push contents skipped.
    coll = {"_embedded": {"contents": [{"deliveryMethod": "Email", "locale": "en", "subject": "x"},
                                       {"deliveryMethod": "Push", "locale": "en", "title": "t", "body": "b"}]}}
    (tmp_path / "coll.json").write_text(json.dumps(coll))
    assert [t.title for t in load_templates(tmp_path / "coll.json")] == ["t"]
    # Simulator shape: template name -> contents.
    assert load_templates({"general": [{"title": "t", "body": "b"}]})[0].template_name == "general"


def test_load_errors_name_the_place(tmp_path) -> None:
    with pytest.raises(InputError, match="file not found"):
        load_templates(tmp_path / "nope.json")
    (tmp_path / "bad.json").write_text("{nope")
    with pytest.raises(InputError, match="not JSON.*line 1"):
        load_templates(tmp_path / "bad.json")
    with pytest.raises(InputError) as err:
        load_templates([{"title": "t", "body": "b"}, {"title": "t", "body": "b", "pushCategory": "X"}])
    assert err.value.field == "contents[1].pushCategory"
    with pytest.raises(InputError, match="no push content"):
        load_templates([])


def test_context_accepts_plain_scopes() -> None:
    c = PromptContext(scopes=["openid", ("email", "Email address access"), {"name": "phone"}])
    assert c.scopes == [ScopeInfo("openid"), ScopeInfo("email", "Email address access"), ScopeInfo("phone")]
    with pytest.raises(InputError):
        PromptContext(scopes=[42])
