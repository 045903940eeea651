"""Snapshots and clips in an S3-compatible object store (cluster mode without a shared
folder): every replica writes to and reads from the same bucket.

The hub serves media as files (range requests let a phone seek in a clip), so a replica
keeps a local copy of what it serves, fetched on first use and checked against the
object's ETag on every later one: a camera's live view is overwritten every second, a clip
never, and the check is one HEAD request."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from safewatch.store.files import atomic_write, safe_name


class S3ClipStore:
    def __init__(self, bucket: str, cache: Path, endpoint_url: str | None = None) -> None:
        import boto3  # only for this store: the embedded hub does not need it
        from botocore.config import Config

        self.bucket, self.cache = bucket, cache
        config = Config(retries={"max_attempts": 5, "mode": "standard"}, connect_timeout=5)
        self.s3: Any = boto3.client("s3", endpoint_url=endpoint_url, config=config)
        self._etags: dict[str, str] = {}

    def put(self, name: str, data: bytes) -> None:
        """Raises (botocore's errors) when the store does not have it: the caller's
        transaction then fails and the camera sends again."""
        key = safe_name(name)
        answer = self.s3.put_object(Bucket=self.bucket, Key=key, Body=data)
        atomic_write(self.cache / key, data)  # the replica that took it serves it at once
        self._etags[key] = str(answer.get("ETag", ""))

    def delete(self, name: str) -> None:
        key = safe_name(name)
        self.s3.delete_object(Bucket=self.bucket, Key=key)  # no error if it is gone already
        (self.cache / key).unlink(missing_ok=True)
        self._etags.pop(key, None)

    def path(self, name: str) -> Path:
        """A local copy of the object as it is now; a path that does not exist if the store
        has no such object."""
        from botocore.exceptions import ClientError

        key = safe_name(name)
        local = self.cache / key
        try:
            etag = str(self.s3.head_object(Bucket=self.bucket, Key=key)["ETag"])
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                local.unlink(missing_ok=True)
                self._etags.pop(key, None)
                return local
            raise
        if not local.is_file() or self._etags.get(key) != etag:
            body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
            atomic_write(local, body)
            self._etags[key] = etag
        return local
