"""`modelplane-storage-init SRC_URI DEST_DIR`: the storage initializer's command line (the init container's command).

Exit codes: 0 done; 2 bad URI or setting; 3 credentials missing; 4 access denied; 5 not found; 6 unsafe content or
archive rejected; 7 download failed; 8 destination or cache not writable. Errors are one line on stderr, never a
traceback. The cache directory comes from `MODELPLANE_STORAGE_CACHE` (unset: no cache).
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
from collections.abc import Sequence

from modelplane.runtime.storage import downloading, errors


def parser() -> argparse.ArgumentParser:
    command = argparse.ArgumentParser(
        prog="modelplane-storage-init",
        description="Fetch a model from SRC_URI (a local path, file://, http(s)://, s3://, gs:// or Azure blob URL)"
        " into DEST_DIR, unpacking .tar/.tar.gz/.tgz/.zip archives safely.",
    )
    command.add_argument("src_uri", metavar="SRC_URI")
    command.add_argument("dest_dir", metavar="DEST_DIR", type=pathlib.Path)
    command.add_argument(
        "--max-bytes",
        type=int,
        help="refuse an archive unpacking to more bytes than this (default: $MODELPLANE_STORAGE_MAX_BYTES or 64 GiB)",
    )
    command.add_argument(
        "--max-files",
        type=int,
        help="refuse an archive with more entries than this (default: $MODELPLANE_STORAGE_MAX_FILES or 100000)",
    )
    return command


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parser().parse_args(argv)
    try:
        request = downloading.request_from_env(
            uri=arguments.src_uri,
            destination=arguments.dest_dir,
            env=os.environ,
            max_bytes=arguments.max_bytes,
            max_files=arguments.max_files,
        )
        downloading.fetch(request, env=os.environ, out=sys.stderr)
    except errors.StorageError as error:
        print(f"modelplane-storage-init: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("modelplane-storage-init: interrupted", file=sys.stderr)
        return 130
    except OSError as error:
        print(f"modelplane-storage-init: {error.strerror or error} ({error.filename or 'no file'})", file=sys.stderr)
        return errors.DestinationError.exit_code
    print(f"modelplane-storage-init: {arguments.src_uri} is ready in {arguments.dest_dir}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
