"""The policy templates render into exactly the documents IAM will store, or fail clearly."""

from __future__ import annotations

import json

import pytest

from iam_policies.render import PARAMETERS, TemplateError, placeholders, render, render_value, template_names

PARAMS: dict[str, str | list[str]] = {
    "Account": "000000000000",
    "Region": "us-east-1",
    "Partition": "aws",
    "ProviderKey": "idp.localhost/dev",
    "ProviderArn": "arn:aws:iam::000000000000:oidc-provider/idp.localhost/dev",
    "ClientId": "webapp",
    "ClientIds": ["webapp"],
    "Table:photos": "Photos",
    "Table:photoTags": "PhotoTags",
    "Table:profiles": "Profiles",
    "Table:games": "Games",
    "Table:sessions": "Sessions",
}


def test_the_shipped_templates_are_the_ones_the_stack_provisions() -> None:
    assert set(template_names()) >= {
        "user-role", "user-role-trust", "host-role", "host-role-trust", "admin-role", "admin-role-trust",
    }


@pytest.mark.parametrize("name", template_names())
def test_every_template_renders_to_json_without_leftover_placeholders(name: str) -> None:
    document = render(name, PARAMS)
    assert document["Version"] == "2012-10-17"
    for text in _strings(document):
        assert "{{" not in text and "}}" not in text, text


@pytest.mark.parametrize("name", template_names())
def test_templates_use_only_known_parameters(name: str) -> None:
    for used in placeholders(name):
        assert used in PARAMETERS or used.startswith("Table:"), used


def test_provider_key_renders_next_to_iam_policy_variables_without_clashing() -> None:
    policy = render("user-role", PARAMS)
    own = policy["Statement"][0]
    assert own["Condition"]["ForAllValues:StringEquals"]["dynamodb:LeadingKeys"] == [
        "${idp.localhost/dev:sub}"
    ]
    games = next(s for s in policy["Statement"] if s["Sid"] == "ReadYourGames")
    assert games["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"] == [
        "${idp.localhost/dev:sub}~*", "*~${idp.localhost/dev:sub}~*",
    ]


def test_table_names_come_from_the_parameters_so_a_prefix_reaches_every_arn() -> None:
    prefixed = {**PARAMS, **{k: "dev-" + v for k, v in PARAMS.items() if k.startswith("Table:")}}
    text = json.dumps(render("user-role", prefixed))
    assert ":table/dev-Photos" in text and ":table/Photos" not in text


def test_trust_policy_names_the_provider_and_the_client() -> None:
    trust = render("user-role-trust", PARAMS)["Statement"][0]
    assert trust["Principal"] == {"Federated": PARAMS["ProviderArn"]}
    assert trust["Condition"] == {"StringEquals": {"idp.localhost/dev:aud": "webapp"}}


def test_trust_policy_admits_every_client_id_of_the_app() -> None:
    trust = render("user-role-trust", {**PARAMS, "ClientIds": ["webapp", "mobile"]})["Statement"][0]
    assert trust["Condition"] == {"StringEquals": {"idp.localhost/dev:aud": ["webapp", "mobile"]}}


def test_a_list_parameter_inside_a_longer_string_is_refused() -> None:
    with pytest.raises(TemplateError, match="list parameter .*ClientIds.* inside a string"):
        render_value({"aud": "x-{{ClientIds}}"}, PARAMS, name="test")


@pytest.mark.parametrize(
    ("template", "params", "message"),
    [
        ("user-role", {k: v for k, v in PARAMS.items() if k != "Account"}, "needs parameter 'Account'"),
        ("user-role", {k: v for k, v in PARAMS.items() if k != "Table:photos"}, "needs parameter 'Table:photos'"),
        ("user-role", {**PARAMS, "Acount": "1"}, "unknown template parameter 'Acount'"),
        ("user-role", {**PARAMS, "Region": ""}, "must be a non-empty string"),
        ("user-role-trust", {**PARAMS, "ClientIds": []}, "must be a non-empty list"),
    ],
    ids=["missing-account", "missing-table", "unknown-name", "empty-value", "no-client-ids"],
)
def test_missing_or_unknown_parameters_fail_clearly(template: str, params: dict[str, str | list[str]],
                                                    message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        render(template, params)


def test_an_unknown_template_is_named_in_the_error() -> None:
    with pytest.raises(TemplateError, match="unknown policy template 'nope'"):
        render("nope", PARAMS)


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [k, *_strings(v)]]
    return []
