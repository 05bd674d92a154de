"""The fuzz oracle: one user's requests against another user's items, judged against ``simulate``.

A request is sent as bob, signed, over HTTP to the running stack, and judged five ways:

1. **no 5xx**;
2. **a well-formed AWS error body** when it fails: JSON with ``__type`` ``<namespace>#<Code>``
   and a non-empty message;
3. **the endpoint's decision equals simulate's**: ``iam_policies.simulation.decide_case`` on the
   same policies, caller variables, table schemas and raw request. The endpoint's decision is
   read from the response (200: allowed, AccessDeniedException: denied) and, for any other error,
   from the audit log (an entry: the request was decided and failed afterwards in storage; none:
   refused before authorization, which simulate must also do, with the same code, or which the
   endpoint's own pre-authorization checks did: ``PRE_AUTHORIZATION``);
4. **no leak**: alice's items carry a secret marker that bob never sends; it appears in no answer
   to a request simulate denies;
5. **no change**: alice's items, read back by the admin, are exactly as seeded. Bob can never
   undo a change to them, so reading them back every ``CHECK_EVERY`` requests (and at the end,
   ``finish()``) finds any change; the message lists the requests since the last check;
6. **no read beyond what was authorized**: a request simulate allows because every one of its
   authorizations names bob's partition alone (``dynamodb:LeadingKeys``) answers nothing of
   alice's either. (A request allowed with no leading keys, the vacuous Scan of F-36, may read
   her items, on AWS too.) This is how an engine that runs another statement than the one
   authorized shows (PartiQL text read differently by moto, ``webapp/backend/partiql_scope.py``).

Used by ``test_fuzz_oracle.py`` (2,000 requests per run) and ``benchmarks/fuzz.py`` (as many as
asked for).
"""

from __future__ import annotations

import http.client
import json
import secrets
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials
from hypothesis import strategies as st

from iam_policies.simulation import decide_case
from tests.functional.dynamodb.conftest import PROVIDER, Fgac, p1, p2

#: Error codes the endpoint may answer before any authorization without simulate knowing: the
#: wire checks (framing, the model's length limits) and DynamoDB's value limits (limits.py).
PRE_AUTHORIZATION = {"SerializationException", "ValidationException"}
CHECK_EVERY = 25
ATTRIBUTES = ["owner", "noteId", "title", "body", "updatedAt", "visibility", "adminFlag", "internalScore"]


@dataclass
class Verdicts:
    """Counts of what the oracle saw, printed by the benchmark script."""

    requests: int = 0
    decisions: Counter[str] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)


class Oracle:
    """Bob against alice's items in the F-base world (``conftest.fgac``)."""

    def __init__(self, f: Fgac) -> None:
        self.f = f
        self.marker = "secret-" + secrets.token_hex(8)
        parts = urlsplit(f.stack.dynamodb_url)
        self.host, self.port = parts.hostname or "localhost", parts.port or 80
        self.url = f.stack.dynamodb_url
        self._conn: http.client.HTTPConnection | None = None
        arn = f"arn:aws:dynamodb:{f.stack.region}:{f.stack.account_id}:table/"
        self.arn = arn
        statements = p1(arn + f.table)["Statement"] + p2(arn + f.writes)["Statement"]
        self.policy = {"Version": "2012-10-17", "Statement": statements}
        self.variables = {f"{PROVIDER}:sub": f.bob_sub}
        schema = {"partition_key": "owner", "sort_key": "noteId", "indexes": {
            "byOwnerUpdated": {"type": "GSI", "partition_key": "owner", "sort_key": "updatedAt",
                               "projection": "INCLUDE", "non_key_attributes": ["title"]},
            "byPublic": {"type": "GSI", "partition_key": "visibility", "projection": "ALL"}}}
        self.tables = {f.table: schema, f.writes: schema}
        self.audit_path = f.stack.data_dir / "audit.jsonl"
        self._audit_offset = self.audit_path.stat().st_size if self.audit_path.exists() else 0
        self._decided: dict[str, str] = {}
        self.verdicts = Verdicts()
        self.admin = f.admin
        self.recent: list[str] = []
        self.seed()

    # The world ----------------------------------------------------------------------------------

    def seed(self) -> None:
        """alice's items, each holding the marker in a hidden attribute and in ``body``."""
        admin = self.admin
        for table in (self.f.table, self.f.writes):
            for note in ("n1", "n2"):
                admin.put_item(TableName=table, Item={
                    **self.f.key(self.f.alice_sub, note), "title": {"S": f"title {note}"},
                    "body": {"S": self.marker}, "updatedAt": {"S": "2026-01-01T00:00:00Z"},
                    "visibility": {"S": "private"}, "adminFlag": {"BOOL": True},
                    "internalScore": {"S": self.marker},
                })
        self.state = self.alices_items()

    def alices_items(self) -> list[Any]:
        admin = self.admin
        out = []
        for table in (self.f.table, self.f.writes):
            out.append(admin.query(TableName=table, KeyConditionExpression="#o = :o", ConsistentRead=True,
                                   ExpressionAttributeNames={"#o": "owner"},
                                   ExpressionAttributeValues={":o": {"S": self.f.alice_sub}})["Items"])
        return out

    # One request --------------------------------------------------------------------------------

    def send(self, operation: str, params: Mapping[str, Any]) -> tuple[int, dict[str, str], bytes]:
        body = json.dumps(params).encode()
        request = AWSRequest(method="POST", url=self.url + "/", data=body, headers={
            "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": f"DynamoDB_20120810.{operation}"})
        bob = self.f.bob
        SigV4Auth(BotoCredentials(bob.access_key_id, bob.secret_access_key, bob.session_token),
                  "dynamodb", self.f.stack.region).add_auth(request)
        for attempt in range(2):
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            try:
                self._conn.request("POST", "/", body=body, headers=dict(request.headers.items()))
                response = self._conn.getresponse()
                return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
            except (http.client.HTTPException, ConnectionError):
                self._conn.close()
                self._conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def simulate(self, operation: str, params: Mapping[str, Any]) -> tuple[str, str | None]:
        """simulate's decision: ("Allow" | "Deny" | "Error", error code or None)."""
        decision, code, _ = self.simulate_scoped(operation, params)
        return decision, code

    def simulate_scoped(self, operation: str, params: Mapping[str, Any]) -> tuple[str, str | None, bool]:
        """simulate's decision, its error code, and whether every authorization is confined to
        bob's own partition (``dynamodb:LeadingKeys`` present and only bob's)."""
        outcome = decide_case({
            "id": "fuzz", "policy": self.policy, "principal_vars": self.variables, "tables": self.tables,
            "request": {"operation": operation, "api_params": params, "resource": self.arn + self.f.table},
        }, region=self.f.stack.region, account=self.f.stack.account_id)
        if outcome.error is not None:
            return "Error", outcome.error.code, False
        own = bool(outcome.authorizations) and all(
            (keys := a.context.get("dynamodb:LeadingKeys")) is not None and set(_values(keys)) == {self.f.bob_sub}
            for a in outcome.authorizations)
        return outcome.decision, None, own

    def audited(self, request_id: str, wait: float) -> str | None:
        """The audit log's decision for ``request_id`` (its writer lags a little), else None."""
        deadline = time.monotonic() + wait
        while True:
            with self.audit_path.open("rb") as log:
                log.seek(self._audit_offset)
                for line in log:
                    if not line.endswith(b"\n"):
                        break
                    self._audit_offset += len(line)
                    entry = json.loads(line)
                    self._decided[entry.get("request_id", "")] = str(entry.get("decision"))
            if request_id in self._decided or time.monotonic() > deadline:
                return self._decided.get(request_id)
            time.sleep(0.01)

    def check(self, operation: str, params: Mapping[str, Any]) -> None:
        """Send one request and assert the five properties (see the module docstring)."""
        v = self.verdicts
        v.requests += 1
        status, headers, body = self.send(operation, params)
        where = f"{operation} {json.dumps(params)[:400]} -> {status} {body[:300]!r}"
        assert status < 500, where
        code = None
        if status != 200:
            error = json.loads(body)
            kind = str(error.get("__type", ""))
            assert "#" in kind and kind.split("#", 1)[1], where
            code = kind.split("#", 1)[1]
            assert error.get("message") or error.get("Message"), where
        expected, expected_code, own_partition = self.simulate_scoped(operation, params)
        if status == 200:
            endpoint = "Allow"
        elif code == "AccessDeniedException":
            endpoint = "Deny"
        elif expected == "Error" and expected_code == code:
            endpoint = "Error"  # refused before authorization, as simulate says
        else:
            audited = self.audited(headers.get("x-amzn-requestid", ""), wait=0.3)
            if audited is None:
                endpoint = "Error"
                assert expected == "Error" and expected_code == code or code in PRE_AUTHORIZATION, \
                    f"refused before authorization with {code}, simulate says {expected} {expected_code}: {where}"
            else:
                endpoint = audited
        v.decisions[endpoint] += 1
        v.codes[code or "200"] += 1
        if endpoint != "Error":
            assert endpoint == expected, f"endpoint {endpoint}, simulate {expected} {expected_code}: {where}"
        if expected != "Allow" or own_partition:
            assert self.marker.encode() not in body, f"leak: {where}"
        self.recent.append(where)
        if len(self.recent) >= CHECK_EVERY:
            self.finish()

    def finish(self) -> None:
        """Alice's items are as seeded (see the module docstring)."""
        assert self.alices_items() == self.state, "changed alice's items, by one of:\n" + "\n".join(self.recent)
        self.recent.clear()


def _values(keys: Any) -> list[str]:
    return [str(k) for k in keys] if isinstance(keys, (list, tuple)) else [str(keys)]


# Requests ---------------------------------------------------------------------------------------


def _write_key(write: Mapping[str, Any]) -> str:
    """A BatchWriteItem entry's item key (one batch may name an item once)."""
    if "DeleteRequest" in write:
        return json.dumps(write["DeleteRequest"]["Key"], sort_keys=True)
    item = write["PutRequest"]["Item"]
    return json.dumps({k: item[k] for k in ("owner", "noteId")}, sort_keys=True)


def requests(o: Oracle) -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
    """Requests of every data-plane operation (and a few control-plane ones), mostly aimed at
    alice's partition, sometimes at bob's own, with the parameters the policies look at."""
    f = o.f
    table = st.sampled_from([f.table, f.writes])
    owner = st.sampled_from([f.alice_sub] * 4 + [f.bob_sub])
    note = st.sampled_from(["n1", "n2", "b1", "new"])
    attrs = st.lists(st.sampled_from(ATTRIBUTES), min_size=1, max_size=4, unique=True)

    @st.composite
    def key(draw: Any) -> dict[str, Any]:
        return f.key(draw(owner), draw(note))

    @st.composite
    def projection(draw: Any) -> dict[str, Any]:
        names = draw(attrs)
        if draw(st.booleans()):
            return {"ProjectionExpression": ", ".join(f"#p{i}" for i in range(len(names))),
                    "ExpressionAttributeNames": {f"#p{i}": n for i, n in enumerate(names)}}
        return {"AttributesToGet": names}

    @st.composite
    def reads(draw: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if draw(st.booleans()):
            out.update(draw(projection()))
        select = draw(st.sampled_from([None, "ALL_ATTRIBUTES", "COUNT", "SPECIFIC_ATTRIBUTES",
                                       "ALL_PROJECTED_ATTRIBUTES"]))
        if select and "AttributesToGet" not in out:
            out["Select"] = select
        return out

    @st.composite
    def item(draw: Any) -> dict[str, Any]:
        item = {**draw(key()), "title": {"S": "x"}}
        for name in draw(st.lists(st.sampled_from(ATTRIBUTES[4:]), max_size=2, unique=True)):
            item[name] = {"S": "y"}
        return item

    returns = st.sampled_from([None, "NONE", "ALL_OLD", "ALL_NEW", "UPDATED_OLD", "UPDATED_NEW"])

    @st.composite
    def get(draw: Any) -> tuple[str, dict[str, Any]]:
        params = {"TableName": draw(table), "Key": draw(key()), "ConsistentRead": draw(st.booleans())}
        if draw(st.booleans()):
            params.update(draw(projection()))
        return "GetItem", params

    @st.composite
    def put(draw: Any) -> tuple[str, dict[str, Any]]:
        params: dict[str, Any] = {"TableName": draw(table), "Item": draw(item())}
        if draw(st.booleans()):
            params["ConditionExpression"] = "attribute_not_exists(noteId)"
        if (r := draw(st.sampled_from([None, "NONE", "ALL_OLD"]))) is not None:
            params["ReturnValues"] = r
        return "PutItem", params

    @st.composite
    def update(draw: Any) -> tuple[str, dict[str, Any]]:
        target = draw(st.sampled_from(ATTRIBUTES[2:]))
        params: dict[str, Any] = {"TableName": draw(table), "Key": draw(key()),
                                  "UpdateExpression": draw(st.sampled_from(["SET #t = :v", "REMOVE #t"])),
                                  "ExpressionAttributeNames": {"#t": target}}
        if "SET" in params["UpdateExpression"]:
            params["ExpressionAttributeValues"] = {":v": {"S": "z"}}
        if (r := draw(returns)) is not None:
            params["ReturnValues"] = r
        return "UpdateItem", params

    @st.composite
    def delete(draw: Any) -> tuple[str, dict[str, Any]]:
        params: dict[str, Any] = {"TableName": draw(table), "Key": draw(key())}
        if draw(st.booleans()):
            params["ConditionExpression"] = "attribute_exists(title)"
        if (r := draw(st.sampled_from([None, "NONE", "ALL_OLD"]))) is not None:
            params["ReturnValues"] = r
        return "DeleteItem", params

    @st.composite
    def query(draw: Any) -> tuple[str, dict[str, Any]]:
        index = draw(st.sampled_from([None, "byOwnerUpdated", "byPublic"]))
        params: dict[str, Any] = {"TableName": draw(table)}
        if index == "byPublic":
            params.update(KeyConditionExpression="visibility = :v",
                          ExpressionAttributeValues={":v": {"S": draw(st.sampled_from(["private", "public"]))}})
        else:
            params.update(KeyConditionExpression="#o = :o", ExpressionAttributeNames={"#o": "owner"},
                          ExpressionAttributeValues={":o": {"S": draw(owner)}})
        if index:
            params["IndexName"] = index
        extra = draw(reads())
        names = {**params.get("ExpressionAttributeNames", {}), **extra.pop("ExpressionAttributeNames", {})}
        params.update(extra)
        if names:
            params["ExpressionAttributeNames"] = names
        if "AttributesToGet" in params:  # not with expressions
            params.pop("AttributesToGet")
        if draw(st.booleans()):
            params["FilterExpression"] = "attribute_exists(title)"
        return "Query", params

    @st.composite
    def scan(draw: Any) -> tuple[str, dict[str, Any]]:
        params: dict[str, Any] = {"TableName": f.table, **draw(reads())}
        if draw(st.booleans()):
            params["IndexName"] = draw(st.sampled_from(["byOwnerUpdated", "byPublic"]))
        return "Scan", params

    @st.composite
    def batch_get(draw: Any) -> tuple[str, dict[str, Any]]:
        keys = draw(st.lists(key(), min_size=1, max_size=3, unique_by=lambda k: json.dumps(k, sort_keys=True)))
        entry: dict[str, Any] = {"Keys": keys}
        if draw(st.booleans()):
            entry.update(draw(projection()))
        return "BatchGetItem", {"RequestItems": {draw(table): entry}}

    @st.composite
    def batch_write(draw: Any) -> tuple[str, dict[str, Any]]:
        writes = draw(st.lists(st.one_of(item().map(lambda i: {"PutRequest": {"Item": i}}),
                                         key().map(lambda k: {"DeleteRequest": {"Key": k}})),
                               min_size=1, max_size=3, unique_by=_write_key))
        return "BatchWriteItem", {"RequestItems": {draw(table): writes}}

    @st.composite
    def transact_get(draw: Any) -> tuple[str, dict[str, Any]]:
        keys = draw(st.lists(key(), min_size=1, max_size=3, unique_by=lambda k: json.dumps(k, sort_keys=True)))
        gets = []
        for k in keys:
            get_ = {"TableName": draw(table), "Key": k}
            if draw(st.booleans()):
                get_.update(draw(projection().filter(lambda p: "ProjectionExpression" in p)))
            gets.append({"Get": get_})
        return "TransactGetItems", {"TransactItems": gets}

    @st.composite
    def transact_write(draw: Any) -> tuple[str, dict[str, Any]]:
        keys = draw(st.lists(key(), min_size=1, max_size=3, unique_by=lambda k: json.dumps(k, sort_keys=True)))
        members = []
        for k in keys:
            kind = draw(st.sampled_from(["Put", "Update", "Delete", "ConditionCheck"]))
            name = draw(table)
            if kind == "Put":
                members.append({"Put": {"TableName": name, "Item": {**k, "title": {"S": "t"}}}})
            elif kind == "Update":
                members.append({"Update": {"TableName": name, "Key": k, "UpdateExpression": "SET title = :t",
                                           "ExpressionAttributeValues": {":t": {"S": "t"}}}})
            elif kind == "Delete":
                members.append({"Delete": {"TableName": name, "Key": k}})
            else:
                members.append({"ConditionCheck": {"TableName": name, "Key": k,
                                                   "ConditionExpression": "attribute_exists(title)"}})
        return "TransactWriteItems", {"TransactItems": members}

    @st.composite
    def partiql(draw: Any) -> tuple[str, dict[str, Any]]:
        name, who, which = draw(table), draw(owner), draw(note)
        statement = draw(st.sampled_from([
            f"SELECT * FROM \"{name}\" WHERE owner = '{who}'",
            f"SELECT title, body FROM \"{name}\" WHERE owner = '{who}' AND noteId = '{which}'",
            f"SELECT * FROM \"{name}\"",
            f"UPDATE \"{name}\" SET title = 'p' WHERE owner = '{who}' AND noteId = '{which}'",
            f"DELETE FROM \"{name}\" WHERE owner = '{who}' AND noteId = '{which}'",
            f"INSERT INTO \"{name}\" VALUE {{'owner': '{who}', 'noteId': 'p-{which}', 'title': 't'}}",
            # the same statements as an engine with a naive parser misreads them (test_attacks_partiql)
            f"SELECT * FROM \"{name}\" WHERE\t\"owner\" = '{who}'",
            f"SELECT * FROM \"{name}\" WHERE (\"title\" IS NOT MISSING OR \"title\" = ' WHERE ') AND owner = '{who}'",
            f"UPDATE \"{name}\" SET \"owner\" = '{f.alice_sub}' WHERE owner = '{who}' AND noteId = '{which}'",
            f"DELETE FROM \"{name}\" WHERE\towner = '{who}' AND noteId = '{which}'",
            f"SELECT TITLE, BODY FROM \"{name}\" WHERE owner = '{who}' AND noteId = '{which}'",
        ]))
        kind = draw(st.sampled_from(["ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction"]))
        if kind == "ExecuteStatement":
            return kind, {"Statement": statement}
        member = "Statements" if kind == "BatchExecuteStatement" else "TransactStatements"
        return kind, {member: [{"Statement": statement}]}

    @st.composite
    def control(draw: Any) -> tuple[str, dict[str, Any]]:
        name = draw(table)
        return draw(st.sampled_from([
            ("DescribeTable", {"TableName": name}),
            ("DeleteTable", {"TableName": name}),
            ("UpdateTimeToLive", {"TableName": name, "TimeToLiveSpecification": {
                "Enabled": True, "AttributeName": "ttl"}}),
            ("ListTables", {}),
            ("TagResource", {"ResourceArn": o.arn + name, "Tags": [{"Key": "k", "Value": "v"}]}),
        ]))

    return st.one_of(get(), put(), update(), delete(), query(), scan(), batch_get(), batch_write(),
                     transact_get(), transact_write(), partiql(), control())
