"""Discovery metadata checks, ID token validation, masking helpers (pure)."""

from __future__ import annotations

import pytest

from ciba_kit.protocol import jose
from ciba_kit.protocol.constants import CLAIM_AUTH_REQ_ID, CLAIM_RT_HASH, CIBA_GRANT_TYPE
from ciba_kit.protocol.discovery import ProviderMetadata, check_ciba_support, discovery_url
from ciba_kit.protocol.errors import DiscoveryError, TokenValidationError
from ciba_kit.protocol.idtoken import UnknownSigningKey, check_push_binding, validate_id_token
from ciba_kit.protocol.masking import mask_mapping, mask_text, mask_token, token_hash

ISS = "https://as.example"
GOOD = {
    "issuer": ISS, "token_endpoint": ISS + "/as/token.oauth2",
    "backchannel_authentication_endpoint": ISS + "/as/bc-auth.ciba", "jwks_uri": ISS + "/pf/JWKS",
    "backchannel_token_delivery_modes_supported": ["poll", "ping"],
    "backchannel_authentication_request_signing_alg_values_supported": ["ES256", "PS256"],
    "backchannel_user_code_parameter_supported": True,
    "grant_types_supported": ["authorization_code", CIBA_GRANT_TYPE],
    "token_endpoint_auth_methods_supported": ["client_secret_basic", "private_key_jwt"],
}


def test_discovery_url() -> None:
    assert discovery_url(ISS + "/") == ISS + "/.well-known/openid-configuration"


def test_good_metadata_passes() -> None:
    meta = ProviderMetadata.from_dict(GOOD)
    check_ciba_support(meta, expected_issuer=ISS, mode="ping", auth_method="private_key_jwt", signing_alg="ES256",
                       user_code=True)
    assert meta.endpoints()["token_endpoint"] == GOOD["token_endpoint"]


def test_every_missing_item_is_named() -> None:
    doc = dict(GOOD)
    for k in ("backchannel_authentication_endpoint", "backchannel_user_code_parameter_supported",
              "backchannel_authentication_request_signing_alg_values_supported"):
        del doc[k]
    doc["grant_types_supported"] = ["authorization_code"]
    with pytest.raises(DiscoveryError) as e:
        check_ciba_support(ProviderMetadata.from_dict(doc), expected_issuer=ISS, mode="push",
                           auth_method="tls_client_auth", signing_alg="ES256", user_code=True)
    missing = e.value.missing
    assert "backchannel_authentication_endpoint" in missing
    assert any(m.startswith("backchannel_token_delivery_modes_supported: push") for m in missing)
    assert "backchannel_authentication_request_signing_alg_values_supported" in missing
    assert "backchannel_user_code_parameter_supported: true" in missing
    assert "token_endpoint_auth_methods_supported: tls_client_auth" in missing
    assert len(missing) == 5  # push needs no CIBA grant type


def test_issuer_mismatch_and_unsupported_alg() -> None:
    with pytest.raises(DiscoveryError) as e:
        check_ciba_support(ProviderMetadata.from_dict(GOOD), expected_issuer="https://other", signing_alg="RS256")
    assert any("issuer" in m for m in e.value.missing)
    assert any("RS256" in m for m in e.value.missing)


KEY = jose.generate_signing_key("ES256", kid="k1")
JWKS = {"keys": [jose.public_jwk(KEY)]}
NOW = 1_767_225_600.0


def _tok(**over: object) -> str:
    claims = {"iss": ISS, "aud": "c1", "sub": "alice", "iat": int(NOW), "exp": int(NOW) + 300}
    claims.update(over)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jose.sign_jwt(claims, KEY, "ES256")


def test_valid_id_token_returns_claims() -> None:
    at = "access-123"
    claims = validate_id_token(_tok(at_hash=jose.left_hash(at, "ES256")), JWKS, issuer=ISS, client_id="c1",
                               now=NOW, access_token=at)
    assert claims["sub"] == "alice"


@pytest.mark.parametrize("over,needle", [
    ({"iss": "https://evil"}, "iss"), ({"aud": "other"}, "aud"), ({"exp": int(NOW) - 120}, "expired"),
    ({"iat": int(NOW) + 600}, "future"), ({"exp": None}, "exp"), ({"at_hash": "wrong"}, "at_hash"),
    ({"aud": ["c1", "c2"], "azp": "c2"}, "azp"),
])
def test_bad_id_token_claims(over: dict[str, object], needle: str) -> None:
    with pytest.raises(TokenValidationError, match=needle):
        validate_id_token(_tok(**over), JWKS, issuer=ISS, client_id="c1", now=NOW, access_token="x")


def test_leeway_accepts_small_skew() -> None:
    validate_id_token(_tok(exp=int(NOW) - 30), JWKS, issuer=ISS, client_id="c1", now=NOW, leeway=60)


def test_alg_none_and_foreign_key_rejected() -> None:
    import base64
    import json

    def b64(d: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()
    none_tok = f"{b64({'alg': 'none'})}.{b64({'iss': ISS, 'aud': 'c1'})}."
    with pytest.raises(TokenValidationError, match="not allowed"):
        validate_id_token(none_tok, JWKS, issuer=ISS, client_id="c1", now=NOW, algorithms=["none", "ES256"])
    other = jose.generate_signing_key("ES256", kid="k1")  # same kid, different key
    forged = jose.sign_jwt({"iss": ISS, "aud": "c1", "iat": NOW, "exp": NOW + 60}, other, "ES256")
    with pytest.raises(TokenValidationError, match="signature"):
        validate_id_token(forged, JWKS, issuer=ISS, client_id="c1", now=NOW)
    with pytest.raises(TokenValidationError, match="alg"):
        validate_id_token(_tok(), JWKS, issuer=ISS, client_id="c1", now=NOW, algorithms=["RS256"])


def test_unknown_kid_is_distinct() -> None:
    k2 = jose.generate_signing_key("ES256", kid="rotated")
    tok = jose.sign_jwt({"iss": ISS}, k2, "ES256")
    with pytest.raises(UnknownSigningKey) as e:
        validate_id_token(tok, JWKS, issuer=ISS, client_id="c1", now=NOW)
    assert e.value.kid == "rotated"


def test_push_binding() -> None:
    at, rt = "at-1", "rt-1"
    claims = {CLAIM_AUTH_REQ_ID: "rid", "at_hash": jose.left_hash(at, "ES256"),
              CLAIM_RT_HASH: jose.left_hash(rt, "ES256")}
    check_push_binding(claims, alg="ES256", auth_req_id="rid", access_token=at, refresh_token=rt)
    for bad in ({CLAIM_AUTH_REQ_ID: "other"}, {"at_hash": "x"}, {CLAIM_RT_HASH: "x"}):
        with pytest.raises(TokenValidationError):
            check_push_binding({**claims, **bad}, alg="ES256", auth_req_id="rid", access_token=at, refresh_token=rt)
    tok = _tok(**claims)
    assert validate_id_token(tok, JWKS, issuer=ISS, client_id="c1", now=NOW, access_token=at, refresh_token=rt,
                             push_auth_req_id="rid")["sub"] == "alice"
    with pytest.raises(TokenValidationError):
        validate_id_token(tok, JWKS, issuer=ISS, client_id="c1", now=NOW, access_token=at, refresh_token="rt-2",
                          push_auth_req_id="rid")


def test_masking() -> None:
    assert "secret-token" not in mask_token("secret-token")
    assert token_hash("x") in mask_token("x")
    data = {"access_token": "AT", "nested": [{"Authorization": "Basic abc"}], "sub": "alice", "auth_req_id": "R"}
    out = mask_mapping(data)
    assert out["sub"] == "alice" and "AT" not in str(out) and "Basic abc" not in str(out)
    assert mask_text("error: secret demo-poll-secret echoed", ["demo-poll-secret", None, "ab"]) == \
        "error: secret *** echoed"
