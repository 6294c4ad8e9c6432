"""Covers storage.fingerprints (pure): a stable key for the same content in any listing order, a new key when any
version, size, name or the URI changes, and no key when an object has no version token."""

from __future__ import annotations

from modelplane.runtime.storage import fingerprints

Obj = fingerprints.RemoteObject
A = fingerprints.RemoteObject(key="p/a", name="a", size=1, version="etag 1")
B = fingerprints.RemoteObject(key="p/b", name="b", size=2, version="generation 7")


def test_key_is_stable_and_order_free() -> None:
    key = fingerprints.cache_key("s3://b/p", [A, B])
    assert key == fingerprints.cache_key("s3://b/p", [B, A])
    assert key is not None
    assert len(key) == 64


def test_key_changes_with_content_identity() -> None:
    base = fingerprints.cache_key("s3://b/p", [A, B])
    changed = [
        fingerprints.cache_key("s3://b/q", [A, B]),
        fingerprints.cache_key(
            "s3://b/p",
            [
                A,
                fingerprints.RemoteObject(key="p/b", name="b", size=2, version="generation 8"),
            ],
        ),
        fingerprints.cache_key(
            "s3://b/p",
            [
                A,
                fingerprints.RemoteObject(key="p/b", name="b", size=3, version="generation 7"),
            ],
        ),
        fingerprints.cache_key(
            "s3://b/p",
            [
                A,
                fingerprints.RemoteObject(key="p/c", name="c", size=2, version="generation 7"),
            ],
        ),
        fingerprints.cache_key("s3://b/p", [A]),
    ]
    assert base not in changed
    assert len(set(changed)) == len(changed)


def test_no_key_without_versions() -> None:
    unversioned = fingerprints.RemoteObject(key="u", name="u")
    assert fingerprints.cache_key("http://h/u", [unversioned]) is None
    assert fingerprints.cache_key("s3://b/p", [A, unversioned]) is None
    assert fingerprints.cache_key("s3://b/p", []) is None
