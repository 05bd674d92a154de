"""The STS endpoint over real HTTP: boto3 parses every answer, as the browser SDK would."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError

from tests.unit.webapp.sts.conftest import ISSUER, LocalSts

USER_ROLE = "arn:aws:iam::000000000000:role/WebUser"
PROVIDER_ARN = "arn:aws:iam::000000000000:oidc-provider/idp.localhost/dev"
NS = {"sts": "https://sts.amazonaws.com/doc/2011-06-15/"}


def assume(sts: LocalSts, token: str, **params: Any) -> dict[str, Any]:
    params.setdefault("RoleArn", USER_ROLE)
    params.setdefault("RoleSessionName", "s1")
    return sts.client().assume_role_with_web_identity(WebIdentityToken=token, **params)  # type: ignore[no-any-return]


def post(sts: LocalSts, **params: str) -> requests.Response:
    return requests.post(sts.url, data={"Action": "AssumeRoleWithWebIdentity", "Version": "2011-06-15", **params},
                         timeout=10)


def error_of(response: requests.Response) -> tuple[str, str]:
    root = ET.fromstring(response.content)
    return root.findtext("sts:Error/sts:Code", namespaces=NS) or "", \
        root.findtext("sts:Error/sts:Message", namespaces=NS) or ""


def test_a_valid_token_gets_credentials_shaped_like_aws(sts: LocalSts) -> None:
    response = assume(sts, sts.token())
    assert response["SubjectFromWebIdentityToken"] == "alice-sub"
    assert response["Provider"] == ISSUER and response["Audience"] == "webapp"
    assert response["AssumedRoleUser"]["Arn"] == "arn:aws:sts::000000000000:assumed-role/WebUser/s1"
    assert response["AssumedRoleUser"]["AssumedRoleId"].startswith("AROA")
    assert response["AssumedRoleUser"]["AssumedRoleId"].endswith(":s1")
    assert "PackedPolicySize" not in response
    creds = response["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    assert abs(creds["Expiration"].timestamp() - (sts.clock() + 3600)) < 2
    assert response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]


def test_the_session_keeps_the_keys_that_survive_and_drops_the_others(sts: LocalSts) -> None:
    creds = assume(sts, sts.token(azp="webapp", amr=["pwd"]))["Credentials"]
    _, principal = sts.credentials.secret_for(creds["AccessKeyId"], creds["SessionToken"])
    assert principal.variables["aws:FederatedProvider"] == PROVIDER_ARN
    assert principal.variables["idp.localhost/dev:sub"] == "alice-sub"
    assert principal.variables["idp.localhost/dev:aud"] == "webapp"
    assert principal.variables["idp.localhost/dev:amr"] == ["pwd"]
    assert "idp.localhost/dev:azp" not in principal.variables  # trust-policy-only (IAM UG S17)
    assert principal.web_identity_subject == "alice-sub"


def test_get_query_form_works_too(sts: LocalSts) -> None:
    response = requests.get(sts.url, params={
        "Action": "AssumeRoleWithWebIdentity", "Version": "2011-06-15", "RoleArn": USER_ROLE,
        "RoleSessionName": "s1", "WebIdentityToken": sts.token()}, timeout=10)
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    assert root.findtext(".//sts:SubjectFromWebIdentityToken", namespaces=NS) == "alice-sub"


VALIDATION = [
    ("session-name-short", {"RoleSessionName": "a"}, "at 'roleSessionName' failed to satisfy constraint: "
     "Member must have length greater than or equal to 2"),
    ("session-name-long", {"RoleSessionName": "a" * 65}, "Member must have length less than or equal to 64"),
    ("session-name-pattern", {"RoleSessionName": "bad name!"}, "Value 'bad name!' at 'roleSessionName' failed to "
     "satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"),
    ("session-name-non-ascii", {"RoleSessionName": "ali\u00e7e"}, "Member must satisfy regular expression pattern"),
    ("role-arn-short", {"RoleArn": "arn:aws:iam::1:r"}, "at 'roleArn' failed to satisfy constraint"),
    ("role-arn-control-char", {"RoleArn": "arn:aws:iam::000000000000:role/Web\u0001User"},
     "at 'roleArn' failed to satisfy constraint: Member must satisfy regular expression pattern"),
    ("duration-low", {"DurationSeconds": "899"}, "Member must have value greater than or equal to 900"),
    ("duration-high", {"DurationSeconds": "43201"}, "Member must have value less than or equal to 43200"),
    ("duration-not-int", {"DurationSeconds": "1h"}, "at 'durationSeconds'"),
    ("policy-long", {"Policy": "x" * 2049}, "at 'policy' failed to satisfy constraint: Member must have length "
     "less than or equal to 2048"),
    ("policy-chars", {"Policy": "{\u0100}"}, "at 'policy' failed to satisfy constraint"),
    ("eleven-policy-arns", {f"PolicyArns.member.{i}.arn": f"arn:aws:iam::000000000000:policy/P{i}"
                            for i in range(1, 12)}, "at 'policyArns'"),
    ("provider-id", {"ProviderId": "www.amazon.com"}, "at 'providerId'"),
]


@pytest.mark.parametrize(("params", "message"), [v[1:] for v in VALIDATION], ids=[v[0] for v in VALIDATION])
def test_parameter_constraints_answer_validation_error(sts: LocalSts, params: dict[str, str], message: str) -> None:
    base = {"RoleArn": USER_ROLE, "RoleSessionName": "s1", "WebIdentityToken": sts.token()}
    response = post(sts, **{**base, **params})
    code, text = error_of(response)
    assert (response.status_code, code) == (400, "ValidationError")
    assert text.startswith("1 validation error detected: ") and message in text
    assert sts.audit[-1]["decision"] == "Deny"


def test_missing_parameters_are_all_reported(sts: LocalSts) -> None:
    code, text = error_of(post(sts))
    assert code == "ValidationError" and text.startswith("3 validation errors detected: ")
    assert "Value null at 'roleArn' failed to satisfy constraint: Member must not be null" in text


def test_the_token_is_never_echoed_in_a_validation_error(sts: LocalSts) -> None:
    response = post(sts, RoleArn=USER_ROLE, RoleSessionName="s1", WebIdentityToken="abc")
    assert error_of(response)[0] == "ValidationError" and "abc'" not in response.text


def test_duration_above_the_roles_maximum(sts: LocalSts) -> None:
    with pytest.raises(ClientError) as caught:
        assume(sts, sts.token(), DurationSeconds=7200)
    assert caught.value.response["Error"] == {
        "Type": "Sender", "Code": "ValidationError",
        "Message": "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."}
    sts.registry.update_role("WebUser", max_session_duration=7200)
    expiration = assume(sts, sts.token(), DurationSeconds=7200)["Credentials"]["Expiration"]
    assert abs(expiration.timestamp() - (sts.clock() + 7200)) < 2


def aws_error(call: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as caught:
        call()
    return {"status": caught.value.response["ResponseMetadata"]["HTTPStatusCode"],
            **caught.value.response["Error"]}


TRUST_SUB_ALICE = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Federated": PROVIDER_ARN}, "Action": "sts:AssumeRoleWithWebIdentity",
    "Condition": {"StringEquals": {"idp.localhost/dev:aud": "webapp", "idp.localhost/dev:sub": "alice-sub"}}}]}
TRUST_OTHER_PROVIDER = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::000000000000:oidc-provider/other.example.com"},
    "Action": "sts:AssumeRoleWithWebIdentity"}]}


@pytest.mark.parametrize(
    ("trust", "subject", "allowed"),
    [
        (TRUST_SUB_ALICE, "alice-sub", True),
        (TRUST_SUB_ALICE, "bob-sub", False),  # T-44: the sub condition is false
        (TRUST_OTHER_PROVIDER, "alice-sub", False),  # T-44: Principal.Federated names another provider
        ({**TRUST_SUB_ALICE, "Statement": [{**TRUST_SUB_ALICE["Statement"][0], "Effect": "Deny"}]},
         "alice-sub", False),
    ],
    ids=["alice-allowed", "bob-refused", "other-provider", "deny-only"],
)
def test_the_trust_policy_decides(sts: LocalSts, trust: dict[str, Any], subject: str, allowed: bool) -> None:
    role = sts.registry.create_role("AliceOnly", json.dumps(trust))
    call = lambda: assume(sts, sts.token(sub=subject), RoleArn=role.arn)  # noqa: E731
    if allowed:
        assert call()["SubjectFromWebIdentityToken"] == subject
        return
    assert aws_error(call) == {"status": 403, "Type": "Sender", "Code": "AccessDenied",
                               "Message": "Not authorized to perform sts:AssumeRoleWithWebIdentity"}
    assert sts.audit[-1]["decision"] == "Deny" and sts.audit[-1]["subject"] == subject


def test_a_role_that_does_not_exist_is_access_denied(sts: LocalSts) -> None:
    error = aws_error(lambda: assume(sts, sts.token(), RoleArn="arn:aws:iam::000000000000:role/Nope"))
    assert (error["status"], error["Code"]) == (403, "AccessDenied")


def test_a_wrong_audience_is_refused_by_the_token_check_before_the_trust_policy(sts: LocalSts) -> None:
    error = aws_error(lambda: assume(sts, sts.token(aud="other")))
    assert error == {"status": 400, "Type": "Sender", "Code": "InvalidIdentityToken",
                     "Message": "Incorrect token audience"}


def test_an_expired_token_is_expired_token_exception(sts: LocalSts) -> None:
    now = int(sts.clock())
    error = aws_error(lambda: assume(sts, sts.token(iat=now - 1000, exp=now - 301)))
    assert error["Code"] == "ExpiredTokenException" and error["status"] == 400
    assert error["Message"] == f"Token expired: current date/time {now} must be before the expiration date/time {now - 301}"


SESSION_ALLOW_ALL = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}]})


def test_a_session_policy_is_kept_and_its_packed_size_reported(sts: LocalSts) -> None:  # T-48
    response = assume(sts, sts.token(), Policy=SESSION_ALLOW_ALL)
    assert 0 < response["PackedPolicySize"] <= 100
    creds = response["Credentials"]
    _, principal = sts.credentials.secret_for(creds["AccessKeyId"], creds["SessionToken"])
    assert json.loads(principal.session_policy or "{}") == json.loads(SESSION_ALLOW_ALL)


@pytest.mark.parametrize(
    "policy",
    ['{"Version":"2012-10-17"', '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*"}]}',
     '{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}'],
    ids=["not-json", "no-resource", "bad-effect"],
)
def test_a_malformed_session_policy_is_refused(sts: LocalSts, policy: str) -> None:
    error = aws_error(lambda: assume(sts, sts.token(), Policy=policy))
    assert (error["status"], error["Code"]) == (400, "MalformedPolicyDocument")


def test_policy_arns_must_exist(sts: LocalSts) -> None:
    missing = "arn:aws:iam::000000000000:policy/Nope"
    error = aws_error(lambda: assume(sts, sts.token(), PolicyArns=[{"arn": missing}]))
    assert error["status"] == 400 and missing in error["Message"]
    policy = sts.registry.create_policy("ReadOnly", SESSION_ALLOW_ALL)
    creds = assume(sts, sts.token(), PolicyArns=[{"arn": policy.arn}])["Credentials"]
    _, principal = sts.credentials.secret_for(creds["AccessKeyId"], creds["SessionToken"])
    assert principal.session_policy_arns == (policy.arn,)


@pytest.mark.parametrize(
    ("params", "code"),
    [({"Action": "AssumeRole", "Version": "2011-06-15"}, "InvalidAction"),
     ({"Action": "AssumeRoleWithWebIdentity", "Version": "2010-05-08"}, "InvalidAction"),
     ({"Version": "2011-06-15"}, "MissingAction")],
    ids=["other-action", "wrong-version", "no-action"],
)
def test_unknown_actions_are_query_protocol_errors(sts: LocalSts, params: dict[str, str], code: str) -> None:
    response = requests.post(sts.url, data=params, timeout=10)
    assert response.status_code == 400 and error_of(response)[0] == code
    assert response.headers["x-amzn-RequestId"]


def test_garbage_never_gets_a_500(sts: LocalSts) -> None:
    for body in (b"\xff\xfe\x00", b"Action=AssumeRoleWithWebIdentity&Version=2011-06-15&WebIdentityToken=%ZZ",
                 b"=" * 1000):
        response = requests.post(sts.url, data=body, timeout=10,
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert 400 <= response.status_code < 500, body[:20]
        assert error_of(response)[0]


@pytest.mark.parametrize(("origin", "allowed"), [("http://localhost:8000", True), ("https://evil.example", False),
                                                 ("null", False)])
def test_cors_admits_only_the_apps_origins(sts: LocalSts, origin: str, allowed: bool) -> None:
    preflight = requests.options(sts.url, headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,amz-sdk-invocation-id"}, timeout=10)
    assert (preflight.status_code == 200) is allowed
    assert (preflight.headers.get("Access-Control-Allow-Origin") == origin) is allowed
    response = requests.post(sts.url, data={"Action": "AssumeRoleWithWebIdentity", "Version": "2011-06-15",
                                            "RoleArn": USER_ROLE, "RoleSessionName": "s1",
                                            "WebIdentityToken": sts.token()},
                             headers={"Origin": origin}, timeout=10)
    assert response.status_code == 200
    assert (response.headers.get("Access-Control-Allow-Origin") == origin) is allowed


def test_every_decision_is_audited_without_the_token(sts: LocalSts) -> None:
    token = sts.token()
    assume(sts, token)
    with pytest.raises(ClientError):
        assume(sts, sts.token(aud="other"))
    allowed, denied = sts.audit[-2:]
    assert allowed["decision"] == "Allow" and allowed["subject"] == "alice-sub"
    [authorization] = allowed["authorizations"]
    assert {k: authorization[k] for k in ("action", "resource", "decision", "deny_type")} == {
        "action": "sts:AssumeRoleWithWebIdentity", "resource": USER_ROLE, "decision": "Allow", "deny_type": None}
    assert authorization["reason"].startswith("allowed by ")
    assert [m["sid"] for m in allowed["matched"]] == ["WebIdentityFromOurProvider"]
    assert allowed["principal"] == "arn:aws:sts::000000000000:assumed-role/WebUser/s1"
    assert denied["decision"] == "Deny" and denied["error"] == "InvalidIdentityToken"
    assert token not in json.dumps(sts.audit)


def test_a_trust_refusal_is_audited_with_its_reason(sts: LocalSts) -> None:
    with pytest.raises(ClientError):
        assume(sts, sts.token(), RoleArn="arn:aws:iam::000000000000:role/WebHost")
    entry = sts.audit[-1]
    assert (entry["decision"], entry["deny_type"], entry["denied_by"]) == ("Deny", "implicit", "trust")
    assert entry["authorizations"][0]["resource"] == "arn:aws:iam::000000000000:role/WebHost"


def test_an_oversized_body_or_an_other_method_is_a_clean_error(sts: LocalSts) -> None:
    big = requests.post(sts.url, data=b"Action=" + b"a" * (1100 * 1024), timeout=10,
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert (big.status_code, error_of(big)[0]) == (413, "RequestEntityTooLarge")
    put = requests.put(sts.url, data=b"x", timeout=10)
    assert (put.status_code, error_of(put)[0]) == (405, "InvalidHttpRequest")


@pytest.mark.parametrize("size", [20_001, 100_000, 900_000])
def test_an_over_long_token_is_stss_400_naming_the_member_not_a_413(size: int, sts: LocalSts) -> None:
    """STS validates WebIdentityToken's length (4..20000, botocore's model) whatever the body size."""
    with pytest.raises(ClientError) as caught:
        assume(sts, "a" * size)
    error = caught.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"]["Code"] == "ValidationError"
    assert "webIdentityToken" in error["Error"]["Message"]
    assert "20000" in error["Error"]["Message"]


def test_get_caller_identity_names_the_signed_caller(sts: LocalSts) -> None:
    import boto3
    from botocore.config import Config

    creds = assume(sts, sts.token())["Credentials"]
    signed = boto3.client("sts", region_name="us-east-1", endpoint_url=sts.url,
                          aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                          aws_session_token=creds["SessionToken"], config=Config(retries={"max_attempts": 1}))
    identity = signed.get_caller_identity()
    assert identity["Arn"] == "arn:aws:sts::000000000000:assumed-role/WebUser/s1"
    assert identity["Account"] == "000000000000" and identity["UserId"].endswith(":s1")
    forged = boto3.client("sts", region_name="us-east-1", endpoint_url=sts.url,
                          aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key="x" * 40,
                          aws_session_token=creds["SessionToken"], config=Config(retries={"max_attempts": 1}))
    with pytest.raises(ClientError) as caught:
        forged.get_caller_identity()
    assert caught.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    with pytest.raises(ClientError) as unsigned:
        sts.client().get_caller_identity()
    assert unsigned.value.response["Error"]["Code"] == "MissingAuthenticationToken"
