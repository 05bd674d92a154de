"""The policy templates render into exactly the documents IAM will store, or fail clearly."""

from __future__ import annotations

import json

import pytest

from iam_policies.render import PARAMETERS, TemplateError, placeholders, render, template_names

PARAMS = {
    "Account": "000000000000",
    "Region": "us-east-1",
    "Partition": "aws",
    "ProviderKey": "idp.localhost/dev",
    "ProviderArn": "arn:aws:iam::000000000000:oidc-provider/idp.localhost/dev",
    "ClientId": "webapp",
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


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({k: v for k, v in PARAMS.items() if k != "Account"}, "needs parameter 'Account'"),
        ({k: v for k, v in PARAMS.items() if k != "Table:photos"}, "needs parameter 'Table:photos'"),
        ({**PARAMS, "Acount": "1"}, "unknown template parameter 'Acount'"),
        ({**PARAMS, "Region": ""}, "must be a non-empty string"),
    ],
    ids=["missing-account", "missing-table", "unknown-name", "empty-value"],
)
def test_missing_or_unknown_parameters_fail_clearly(params: dict[str, str], message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        render("user-role", params)


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
