"""Files in an S3-compatible bucket (moto's server): upload, privacy, ranged delivery."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from config.env import media_storage
from loom.resources.models import Resource
from tests.conftest import signed_in
from tests.resources import media
from tests.resources.factories import share

pytestmark = pytest.mark.django_db

BUCKET = "loom-test-media"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def bucket(s3_endpoint: str, settings: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Any:
    for name, value in {
        "LOOM_S3_BUCKET": BUCKET,
        "LOOM_S3_ENDPOINT_URL": s3_endpoint,
        "LOOM_S3_REGION": "us-east-1",
        "LOOM_S3_ACCESS_KEY_ID": "testing",
        "LOOM_S3_SECRET_ACCESS_KEY": "testing",
        "LOOM_S3_PREFIX": "media",
    }.items():
        monkeypatch.setenv(name, value)
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
        client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {**settings.STORAGES, "default": media_storage("s3", media_root=tmp_path)}
    return client


def _keys(client: Any) -> list[str]:
    return [item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def test_an_upload_lands_in_the_bucket_privately(bucket: Any, world: Any, s3_endpoint: str) -> None:
    data = media.webm_bytes(min_bytes=400_000)
    response = signed_in(world.dana).post(
        reverse("resources_files:upload"),
        {"files": SimpleUploadedFile("Breathing.webm", data)},
        headers={"accept": "application/json"},
    )
    assert response.status_code == 201, response.content
    resource = Resource.objects.get()
    key = f"media/{resource.file.name}"
    assert key in _keys(bucket)
    assert bucket.head_object(Bucket=BUCKET, Key=key)["ContentLength"] == len(data)
    # No public grant on the object: only its owner may read it.
    grants = bucket.get_object_acl(Bucket=BUCKET, Key=key)["Grants"]
    assert all("AllUsers" not in str(grant.get("Grantee", {})) for grant in grants)
    assert all("AuthenticatedUsers" not in str(grant.get("Grantee", {})) for grant in grants)
    bucket_grants = bucket.get_bucket_acl(Bucket=BUCKET)["Grants"]
    assert all("AllUsers" not in str(grant.get("Grantee", {})) for grant in bucket_grants)
    # And Loom never hands out the object's address: the page links to the view.
    assert s3_endpoint not in response.content.decode()


def test_the_file_view_streams_ranges_from_the_bucket(
    bucket: Any, world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from storages.backends.s3 import S3Storage

    data = media.webm_bytes(min_bytes=500_000)
    created = signed_in(world.dana).post(
        reverse("resources_files:upload"),
        {"files": SimpleUploadedFile("Breathing.webm", data)},
        headers={"accept": "application/json"},
    )
    resource = Resource.objects.get(pk=created.json()["resource"]["id"])
    share(resource, world.avi)
    asked: list[str] = []
    storage_class: Any = S3Storage
    real_bucket = storage_class.bucket

    class RecordingBucket:
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def Object(self, key: str) -> Any:
            target = self.inner.Object(key)
            real_get = target.get

            def get(**kwargs: Any) -> Any:
                asked.append(kwargs.get("Range", "<whole object>"))
                return real_get(**kwargs)

            target.get = get
            return target

    monkeypatch.setattr(
        storage_class, "bucket", property(lambda self: RecordingBucket(real_bucket.fget(self)))
    )
    client = signed_in(world.avi)
    url = reverse("resources_files:file", args=[resource.pk])
    part = client.get(url, headers={"range": "bytes=1000-70999"})
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 1000-70999/{len(data)}"
    assert b"".join(part.streaming_content) == data[1000:71000]
    whole = client.get(url)
    assert whole.status_code == 200
    assert b"".join(whole.streaming_content) == data
    # Only the asked bytes were fetched from the bucket.
    assert asked == ["bytes=1000-70999", f"bytes=0-{len(data) - 1}"]
