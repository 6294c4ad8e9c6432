"""The storage initializer: fetch a model from where `storageUri` points into the directory the server loads from.

Run as the init container `modelplane-storage-init SRC_URI DEST_DIR` (see `__main__`). Sources: local paths and
`file://`, `http(s)://` (a file, or a `.tar`/`.tar.gz`/`.tgz`/`.zip` archive that is unpacked), `s3://`, `gs://` and
Azure blob storage (`https://<account>.blob.core.windows.net/<container>/<path>`), with credentials read from the
environment names KServe uses. Archives are unpacked safely (`archives` vets every member, `extracting` writes them),
and a node-local cache (`MODELPLANE_STORAGE_CACHE`) keyed by the source and its version lets a second replica skip the
download.

Pure core: `uris` (what a source URI means), `archives` (which archive members are allowed), `fingerprints` (cache
keys). I/O edges: `stores.*` (one module per kind of source), `extracting`, `caching`, `progress`, and
`downloading`, which puts them together.
"""
