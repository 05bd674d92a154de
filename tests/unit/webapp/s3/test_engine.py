"""moto's S3 behind the disk store: what a write answered 200 for is there after a restart.

A "restart" is a new ``MotoS3`` on the same directory, as the stack builds one at start
(``webapp.s3.create_s3_app``); the requests are the REST calls the gateway hands over once
SigV4 and IAM said yes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from webapp.s3.engine import MotoS3
from webapp.s3.storage import DiskStore

DATE = "20261129T000000Z"


def engine(root: Path) -> MotoS3:
    s3 = MotoS3(DiskStore(root), "us-east-1", "000000000000")
    s3.ensure_bucket("exports")
    return s3


def call(s3: MotoS3, operation: str, method: str, key: str | None, body: bytes = b"", query: str = "",
         headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
    return s3.call(operation, method, "exports", key, query, headers or {"content-length": str(len(body))}, body,
                   amz_date=DATE, **kwargs)


def test_objects_survive_a_restart_with_their_metadata(tmp_path: Path) -> None:
    first = engine(tmp_path)
    put = call(first, "PutObject", "PUT", "a b/c.jsonl", b"line\n",
               headers={"content-length": "5", "content-type": "application/x-ndjson", "x-amz-meta-owner": "admin"})
    assert put.status == 200
    call(first, "PutObject", "PUT", "gone", b"x")
    assert call(first, "DeleteObject", "DELETE", "gone").status == 204

    second = engine(tmp_path)
    got = call(second, "GetObject", "GET", "a b/c.jsonl")
    assert (got.status, got.body) == (200, b"line\n")
    headers = {name.lower(): value for name, value in got.headers.items()}
    assert (headers["etag"], headers["content-type"], headers["x-amz-meta-owner"]) == (
        put.headers["ETag"], "application/x-ndjson", "admin")
    assert call(second, "GetObject", "GET", "gone").status == 404


def test_a_multipart_object_keeps_its_etag_and_bytes(tmp_path: Path) -> None:
    first = engine(tmp_path)
    created = call(first, "CreateMultipartUpload", "POST", "big", query="uploads=")
    upload_id = created.body.split(b"<UploadId>")[1].split(b"</UploadId>")[0].decode()
    part = b"p" * (5 * 1024 * 1024)
    etags = [call(first, "UploadPart", "PUT", "big", data, query=f"partNumber={n}&uploadId={upload_id}").headers["ETag"]
             for n, data in ((1, part), (2, b"tail"))]
    complete = ("<CompleteMultipartUpload>" + "".join(
        f"<Part><PartNumber>{n}</PartNumber><ETag>{etag}</ETag></Part>" for n, etag in enumerate(etags, 1))
        + "</CompleteMultipartUpload>").encode()
    done = call(first, "CompleteMultipartUpload", "POST", "big", complete, query=f"uploadId={upload_id}")
    assert done.status == 200
    etag = call(first, "HeadObject", "HEAD", "big").headers["ETag"]
    assert etag.endswith('-2"')

    second = engine(tmp_path)
    got = call(second, "GetObject", "GET", "big")
    assert (got.body == part + b"tail", got.headers["ETag"]) == (True, etag)


def test_deleted_objects_and_buckets_stay_deleted(tmp_path: Path) -> None:
    first = engine(tmp_path)
    assert first.call("CreateBucket", "PUT", "scratch", None, "", {}, b"", amz_date=DATE).status == 200
    call(first, "PutObject", "PUT", "k1", b"1")
    call(first, "PutObject", "PUT", "k2", b"2")
    delete = (b"<Delete><Object><Key>k1</Key></Object><Object><Key>k2</Key></Object></Delete>")
    assert call(first, "DeleteObjects", "POST", None, delete, query="delete=", delete_keys=("k1", "k2")).status == 200
    assert first.call("DeleteBucket", "DELETE", "scratch", None, "", {}, b"", amz_date=DATE).status == 204

    second = engine(tmp_path)
    assert sorted(second.backend.buckets) == ["exports"]
    assert list(second.backend.buckets["exports"].keys) == []


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1"])
def test_creating_an_owned_bucket_again(tmp_path: Path, region: str) -> None:
    """S3 API Reference, CreateBucket: 200 in us-east-1 (legacy), BucketAlreadyOwnedByYou elsewhere;
    either way the objects stay."""
    s3 = MotoS3(DiskStore(tmp_path), region, "000000000000")
    s3.ensure_bucket("exports")
    call(s3, "PutObject", "PUT", "k", b"kept")
    again = s3.call("CreateBucket", "PUT", "exports", None, "", {}, b"", amz_date=DATE)
    assert again.status == (200 if region == "us-east-1" else 409)
    assert call(s3, "GetObject", "GET", "k").body == b"kept"
