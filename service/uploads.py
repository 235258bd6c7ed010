"""Uploaded files: copied to server-made names, size-capped, never trusted for a path.

The client's file name is kept only as a label to show (its last component, control characters
removed); the bytes land in a folder the service made, under a name the service chose, with the
client's extension only when it is a spreadsheet one (the hostile-file checks in
validator.filecheck read the bytes and use the extension to word their message).
"""

from __future__ import annotations

import re
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterator

from taizhang.validator.filecheck import SPREADSHEET_SUFFIXES

CHUNK = 1 << 20
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class UploadTooLarge(Exception):
    """More bytes than the service accepts; the request is refused with 413."""

    def __init__(self, limit: int):
        super().__init__(limit)
        self.limit = limit


@dataclass(frozen=True, slots=True)
class Stored:
    path: Path  # server-made
    name: str  # the client's file name, for display only


def display_name(raw: str | None, fallback: str = "上传文件.xlsx") -> str:
    """The last component of a client's file name, safe to show and to log (never to open)."""
    name = _CONTROL.sub("", (raw or "").replace("\\", "/").rsplit("/", 1)[-1]).strip()
    return name[:120] or fallback


def stored_suffix(raw: str | None) -> str:
    suffix = Path(display_name(raw)).suffix.lower()
    return suffix if suffix in SPREADSHEET_SUFFIXES else ".bin"


def store(source: IO[bytes], raw_name: str | None, folder: Path, stem: str, limit: int) -> Stored:
    """Copy an upload into `folder/stem<suffix>`, refusing more than `limit` bytes."""
    path = folder / f"{stem}{stored_suffix(raw_name)}"
    written = 0
    with path.open("xb") as out:
        while chunk := source.read(CHUNK):
            written += len(chunk)
            if written > limit:
                raise UploadTooLarge(limit)
            out.write(chunk)
    return Stored(path, display_name(raw_name))


@contextmanager
def workspace(data_dir: Path) -> Iterator[Path]:
    """A private scratch folder under the data directory, removed when the request is done."""
    root = data_dir / "tmp"
    root.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(dir=root))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def too_large_message(limit: int, lang: str = "zh") -> str:
    mb = round(limit / 2**20, 1)
    return (f"上传的文件过大（超过 {mb:g} MB），未处理。" if lang == "zh"
            else f"the upload is too large (over {mb:g} MB); nothing was done.")
