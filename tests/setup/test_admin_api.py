"""The simulator's Admin API and PingOne stand-in, over real HTTP, through the setup clients."""

from __future__ import annotations

import httpx
import pytest

from ciba_kit.protocol.errors import InputError, TransportError
from ciba_kit.setup import (
    CibaAuthenticator,
    ClientAuth,
    OAuthClient,
    PingFederateAdmin,
    PingFederateApiError,
    PingOneApi,
    PingOneApiError,
    RequestPolicy,
    Secret,
)

ENV_ID = "00000000-0000-4000-8000-000000000001"


@pytest.fixture
def admin(empty_sim):
    with PingFederateAdmin(empty_sim.admin_url, username="Administrator", password=Secret("2FederateM0re")) as a:
        yield a


@pytest.fixture
def p1(empty_sim):
    with PingOneApi(ENV_ID, client_id="ciba-kit-worker", client_secret="ciba-kit-worker-secret",
                    api_base=empty_sim.pingone_url, auth_base=empty_sim.pingone_url) as p:
        yield p


def authenticator(ident="auth1", **kw):
    return CibaAuthenticator(id=ident, name="Auth", **kw)


def policy(**kw):
    base = dict(id="pol1", name="Pol", authenticator_id="auth1")
    base.update(kw)
    return RequestPolicy(**base)


def test_xsrf_header_and_auth_are_required(empty_sim):
    url = empty_sim.admin_url + "/oauth/clients"
    r = httpx.get(url, auth=("Administrator", "2FederateM0re"))
    assert r.status_code == 403 and "X-XSRF-Header" in r.json()["message"]
    r = httpx.get(url, headers={"X-XSRF-Header": "PingFederate"})
    assert r.status_code == 401
    r = httpx.get(url, headers={"X-XSRF-Header": "PingFederate"}, auth=("Administrator", "wrong"))
    assert r.status_code == 401
    r = httpx.get(url, headers={"X-XSRF-Header": "PingFederate"}, auth=("Administrator", "2FederateM0re"))
    assert r.status_code == 200 and r.json() == {"items": []}


def test_client_errors_name_the_hint(empty_sim):
    bad = PingFederateAdmin(empty_sim.admin_url, username="Administrator", password="nope")
    with pytest.raises(PingFederateApiError) as info:
        bad.clients()
    assert info.value.status == 401 and "password" in str(info.value)
    assert "nope" not in str(info.value) and "nope" not in repr(bad)


def test_descriptors_and_authenticator_crud(admin):
    (desc,) = admin.descriptors()
    assert desc["id"] == "com.pingidentity.oobauth.pingone.mfa.PingOneMfaCibaAuthenticator"
    names = {f["name"] for f in desc["configDescriptor"]["fields"]}
    assert {"Test Username", "PingOne Template Name", "MFA Policy for Authentication"} <= names
    created = admin.create_authenticator(authenticator(test_username="alice"))
    assert created.test_username == "alice" and "lastModified" in created.raw
    created.template_variant = "v2"
    assert admin.update_authenticator(created).template_variant == "v2"
    assert [a.id for a in admin.authenticators()] == ["auth1"]
    admin.delete_authenticator("auth1")
    assert admin.find_authenticator("auth1") is None


def test_404_is_an_api_result(admin):
    with pytest.raises(PingFederateApiError) as info:
        admin.request("GET", "/oauth/clients/nope")
    assert info.value.status == 404 and info.value.result.result_id == "resource_not_found"


def test_422_validation_errors_carry_field_paths(admin):
    with pytest.raises(PingFederateApiError) as info:
        admin.create_request_policy(policy(transaction_lifetime=0))
    err = info.value
    assert err.status == 422 and err.result.result_id == "validation_error"
    assert err.result.message == "Validation error(s) occurred."
    paths = {e.field_path for e in err.validation_errors}
    assert {"authenticatorRef.id", "transactionLifetime"} <= paths
    bad = authenticator(api_request_timeout="soon")  # type: ignore[arg-type]
    with pytest.raises(PingFederateApiError) as info:
        admin.create_authenticator(bad)
    (e,) = info.value.validation_errors
    assert e.error_id == "plugin_validation_error" and e.field_path.startswith("configuration.fields[")


def test_user_code_client_needs_a_policy_with_pcv(admin):
    admin.create_authenticator(authenticator())
    admin.create_request_policy(policy())
    c = OAuthClient(client_id="uc", name="uc", ciba_user_code_supported=True, request_policy_id="pol1",
                    client_auth=ClientAuth(type="SECRET", secret=Secret("s-123456")))
    with pytest.raises(PingFederateApiError) as info:
        admin.create_client(c)
    assert [e.field_path for e in info.value.validation_errors] == ["cibaUserCodeSupported"]


def test_delete_in_use_is_refused(admin):
    admin.create_authenticator(authenticator())
    admin.create_request_policy(policy())
    admin.request("PUT", "/oauth/cibaServerPolicy/settings", {"defaultRequestPolicyRef": {"id": "pol1"}})
    with pytest.raises(PingFederateApiError) as info:
        admin.delete_authenticator("auth1")
    assert info.value.status == 422 and "pol1" in str(info.value)
    with pytest.raises(PingFederateApiError) as info:
        admin.delete_request_policy("pol1")
    assert "default" in str(info.value)
    with pytest.raises(PingFederateApiError) as info:
        admin.request("PUT", "/oauth/cibaServerPolicy/settings", {"defaultRequestPolicyRef": {"id": "ghost"}})
    assert info.value.validation_errors[0].field_path == "defaultRequestPolicyRef.id"


def test_secrets_are_write_only(admin, empty_sim):
    c = OAuthClient(client_id="c1", name="C1", client_auth=ClientAuth(type="SECRET", secret=Secret("first-secret")))
    created = admin.create_client(c)
    assert created.client_auth.secret is None and created.client_auth.encrypted_secret
    raw = admin.request("GET", "/oauth/clients/c1")
    assert "secret" not in raw["clientAuth"] and "first-secret" not in str(raw)
    # Sending back the encryptedSecret keeps the stored secret.
    created.name = "renamed"
    admin.update_client(created)
    assert empty_sim.state.pf.client_secrets["c1"] == "first-secret"
    created.client_auth.encrypted_secret = "OBF:forged"
    with pytest.raises(PingFederateApiError) as info:
        admin.update_client(created)
    assert info.value.validation_errors[0].field_path == "clientAuth.encryptedSecret"
    assert [x.client_id for x in admin.clients(filter="renam")] == ["c1"]


def test_client_validation(admin):
    c = OAuthClient(client_id="p", name="p", ciba_delivery_mode="PING", ciba_polling_interval=9999,
                    ciba_request_object_signing_algorithm="HS256", ciba_require_signed_requests=True,
                    client_auth=ClientAuth(type="CERTIFICATE"))
    with pytest.raises(PingFederateApiError) as info:
        admin.create_client(c)
    paths = {e.field_path for e in info.value.validation_errors}
    assert {"cibaNotificationEndpoint", "cibaPollingInterval", "cibaRequestObjectSigningAlgorithm", "jwksSettings",
            "clientAuth.clientCertIssuerDn", "clientAuth.clientCertSubjectDn"} <= paths


def test_malformed_json_is_400(empty_sim):
    r = httpx.post(empty_sim.admin_url + "/oauth/clients", content=b"{",
                   headers={"X-XSRF-Header": "PingFederate", "Content-Type": "application/json"},
                   auth=("Administrator", "2FederateM0re"))
    assert r.status_code == 400


@pytest.mark.parametrize("query", ["page=0&numberPerPage=2", "numberPerPage=-1", "page=x"])
def test_bad_client_paging_is_400(empty_sim, query):
    r = httpx.get(f"{empty_sim.admin_url}/oauth/clients?{query}", headers={"X-XSRF-Header": "PingFederate"},
                  auth=("Administrator", "2FederateM0re"))
    assert r.status_code == 400 and "at least 1" in r.json()["message"]


def test_admin_client_refuses_plain_http_to_remote_hosts():
    with pytest.raises(InputError, match="https"):
        PingFederateAdmin("http://pf.example.com:9999/pf-admin-api/v1", username="a", password="b")


def test_unreachable_admin_api_is_a_transport_error():
    with PingFederateAdmin("http://127.0.0.1:9/pf-admin-api/v1", username="a", password="b", timeout=2) as a:
        with pytest.raises(TransportError):
            a.clients()


# ---- PingOne


def test_worker_token_is_required(empty_sim):
    r = httpx.get(f"{empty_sim.pingone_url}/environments/{ENV_ID}/applications")
    assert r.status_code == 401 and r.json()["code"] == "ACCESS_FAILED"
    bad = PingOneApi(ENV_ID, client_id="ciba-kit-worker", client_secret="wrong", api_base=empty_sim.pingone_url,
                     auth_base=empty_sim.pingone_url)
    with pytest.raises(PingOneApiError) as info:
        bad.applications()
    assert info.value.status == 401 and "wrong" not in str(info.value)


def test_expired_worker_tokens_are_forgotten():
    import asyncio

    from ciba_kit.simulator.pingone_api import build_pingone_app
    from ciba_kit.simulator.state import SimulatorState

    state = SimulatorState()
    app = build_pingone_app(state, token_lifetime=-1)  # every token is born expired
    form = {"grant_type": "client_credentials", "client_id": "ciba-kit-worker",
            "client_secret": "ciba-kit-worker-secret"}

    async def issue_three() -> list[int]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sim") as http:
            return [(await http.post(f"/{state.p1.environment_id}/as/token", data=form)).status_code
                    for _ in range(3)]

    assert asyncio.run(issue_three()) == [200, 200, 200]
    assert len(app.state.worker_tokens) == 1


def test_regional_base_urls():
    eu = PingOneApi("env-1", client_id="c", client_secret="s", region="eu")
    assert eu.api_base == "https://api.pingone.eu/v1" and eu.token_url == "https://auth.pingone.eu/env-1/as/token"
    assert PingOneApi("e", region="asia").api_base == "https://api.pingone.asia/v1"
    assert PingOneApi("e", region="ca").auth_base == "https://auth.pingone.ca"
    with pytest.raises(InputError):
        PingOneApi("e", region="mars")


def test_pingone_resources(p1):
    from ciba_kit.setup import MfaMobileApplication, MfaPolicy, NativeApplication, SignOnPolicy

    app = p1.create_application(NativeApplication(name="native"))
    assert app.id and app.raw["type"] == "NATIVE_APP"
    pol = MfaPolicy(name="mfa", applications=[MfaMobileApplication(application_id=app.id, push_timeout=30)])
    with pytest.raises(PingOneApiError) as info:
        p1.create_mfa_policy(pol)
    (detail,) = info.value.details
    assert detail["target"] == "mobile.applications[0].pushTimeout.duration" and detail["code"] == "OUT_OF_RANGE"
    pol.applications[0].push_timeout = 60
    created = p1.create_mfa_policy(pol)
    assert created.applications[0].push_timeout == 60
    sop = p1.create_sign_on_policy(SignOnPolicy(name="ciba", device_sign_on_policy_id=created.id))
    assert sop.device_sign_on_policy_id == created.id and sop.no_device_mode == "BLOCK"
    assert [s.name for s in p1.sign_on_policies()] == ["ciba"]


def test_pingone_users_devices_and_templates(p1):
    from ciba_kit.prompts import PromptTemplate

    user = p1.create_user("zoe")
    assert p1.find_user("ZOE")["id"] == user["id"] and p1.find_user("nobody") is None
    p1.create_device(user["id"], {"type": "MOBILE"})
    assert p1.devices(user["id"])[0]["status"] == "ACTIVE"
    p1.create_template_content(PromptTemplate("T ${authUserBindingMessage}", "B", locale="en", variant="v"))
    with pytest.raises(PingOneApiError) as info:
        p1.create_template_content(PromptTemplate("again", "B", locale="en", variant="V"))
    assert info.value.details[0]["code"] == "UNIQUENESS_VIOLATION"
    assert [t.variant for t in p1.prompt_templates("transaction")] == ["v"]
    with pytest.raises(PingOneApiError) as info:
        p1.template_contents("no_such_template")
    assert info.value.status == 404
