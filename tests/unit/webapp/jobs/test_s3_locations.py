"""``s3://bucket/prefix`` as the table jobs read it, and where their staging directory goes."""

from __future__ import annotations

import pytest

from webapp.jobs.checkpoint import JobError
from webapp.jobs.s3 import S3Location, parse_s3_url, staging_for


@pytest.mark.parametrize(("url", "bucket", "prefix", "manifest_key"), [
    ("s3://exports/tables/photos", "exports", "tables/photos", "tables/photos/manifest.json"),
    ("s3://exports/tables/photos/", "exports", "tables/photos", "tables/photos/manifest.json"),
    ("s3://exports", "exports", "", "manifest.json"),
    ("s3://exports/", "exports", "", "manifest.json"),
])
def test_urls(url: str, bucket: str, prefix: str, manifest_key: str) -> None:
    location = parse_s3_url(url)
    assert (location.bucket, location.prefix, location.key("manifest.json")) == (bucket, prefix, manifest_key)


@pytest.mark.parametrize("url", ["s3:///x", "s3://", "exports/x", "https://exports.s3.amazonaws.com/x"])
def test_not_an_s3_location(url: str) -> None:
    with pytest.raises(JobError):
        parse_s3_url(url)


def test_the_staging_directory_is_the_same_for_the_same_job_only() -> None:
    a = S3Location("exports", "t/photos")
    assert staging_for("export", a, "Photos") == staging_for("export", S3Location("exports", "t/photos"), "Photos")
    assert staging_for("export", a, "Photos") != staging_for("export", S3Location("exports", "t/other"), "Photos")
    assert staging_for("export", a, "Photos") != staging_for("import", a, "Photos")
