"""What the local S3 answered 200 for survives ``kill -9`` and a restart (``<data>/s3``)."""

from __future__ import annotations

import io

import pytest
from botocore.exceptions import ClientError

from tests.conftest import RunningStack


def test_objects_answered_200_survive_kill_9(fresh_stack: RunningStack) -> None:
    stack = fresh_stack.start()
    admin = stack.admin("s3")
    admin.put_object(Bucket="webapp-exports", Key="kept/a.jsonl", Body=b"one\n")
    admin.upload_fileobj(io.BytesIO(b"m" * (9 * 1024 * 1024)), "webapp-exports", "kept/multipart")
    admin.put_object(Bucket="webapp-exports", Key="kept/deleted", Body=b"x")
    admin.delete_object(Bucket="webapp-exports", Key="kept/deleted")
    etag = admin.head_object(Bucket="webapp-exports", Key="kept/multipart")["ETag"]
    pending = admin.create_multipart_upload(Bucket="webapp-exports", Key="kept/unfinished")["UploadId"]
    stack.kill()

    stack.start()
    admin = stack.admin("s3")
    listing = admin.list_objects_v2(Bucket="webapp-exports", Prefix="kept/")
    assert sorted(o["Key"] for o in listing["Contents"]) == ["kept/a.jsonl", "kept/multipart"]
    assert admin.get_object(Bucket="webapp-exports", Key="kept/a.jsonl")["Body"].read() == b"one\n"
    big = admin.get_object(Bucket="webapp-exports", Key="kept/multipart")
    assert (big["ETag"], big["ContentLength"]) == (etag, 9 * 1024 * 1024)
    # README: "multipart uploads in progress do not survive a restart"
    assert admin.list_multipart_uploads(Bucket="webapp-exports").get("Uploads", []) == []
    with pytest.raises(ClientError) as gone:
        admin.upload_part(Bucket="webapp-exports", Key="kept/unfinished", UploadId=pending, PartNumber=1, Body=b"x")
    assert gone.value.response["Error"]["Code"] == "NoSuchUpload"
