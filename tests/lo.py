"""LibreOffice as a real client in tests: convert, render, and check that a page shows something.

People open the files taizhang writes, so tests open them too: LibreOffice headless converts a
workbook to PDF (the printed page), pdftoppm turns the PDF into PNGs, and a round trip to .xlsx
shows what survives another spreadsheet program saving the file. Every helper takes files in and
returns the paths it wrote; none of them looks at taizhang's own types, so the split, merge and
roll-up tests use them as they are.

soffice runs with a private profile directory (one per test process, removed at exit), so tests
running at the same time as someone's LibreOffice, or another test run, do not clash.

    from lo import to_pdf, to_png, to_xlsx, ink, assert_not_blank, pdf_fonts
    pdf = to_pdf(xlsx, tmp_path)                   # one file, or a list: one soffice start
    pages = to_png(pdf, tmp_path / "png")          # page-1.png, page-2.png ...
    assert_not_blank(pages[0])                     # fails with the measured ink and the path
    assert any("WenQuanYi" in f for f in pdf_fonts(pdf))   # Chinese drawn with a CJK font
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path
from typing import Iterable, Sequence

TIMEOUT = 240  # seconds for one soffice run (the first start creates the profile)
_PROFILE: Path | None = None


class LibreOfficeError(AssertionError):
    """A conversion did not produce its file; the message carries soffice's output."""


def profile_dir() -> Path:
    """This process's private LibreOffice profile (created once, removed when the process ends)."""
    global _PROFILE
    if _PROFILE is None:
        _PROFILE = Path(tempfile.mkdtemp(prefix=f"lo-taizhang-{os.getpid()}-"))
        atexit.register(shutil.rmtree, _PROFILE, True)
    return _PROFILE


def missing_tool(what: str) -> None:
    """A tool these tests need is not installed: skip with the reason on a developer's machine,
    fail in CI (.ci/run sets TAIZHANG_CI=1 after installing it), where a skip would hide a gap."""
    message = f"{what} is not installed: run .ci/run, which installs libreoffice-calc, fonts-wqy-zenhei and poppler-utils"
    if os.environ.get("TAIZHANG_CI"):
        raise LibreOfficeError(message)
    import pytest

    pytest.skip(message)


def soffice() -> str:
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None:
        missing_tool("LibreOffice (soffice)")
    return exe


def convert(sources: Path | Sequence[Path], fmt: str, outdir: Path, *, profile: Path | None = None) -> list[Path]:
    """Convert each source with `soffice --convert-to fmt`; return the output paths (one per source).

    fmt is what soffice takes: "pdf", "xlsx", "xlsx:Calc MS Excel 2007 XML", "csv" ...
    outdir must not be the sources' folder when converting to their own format (soffice would
    overwrite them).
    """
    srcs = [Path(sources)] if isinstance(sources, (str, Path)) else [Path(s) for s in sources]
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    ext = fmt.split(":", 1)[0]
    for s in srcs:
        if s.resolve().parent == outdir.resolve() and s.suffix.lstrip(".").lower() == ext.lower():
            raise ValueError(f"converting {s} to {ext} in its own folder would overwrite it")
    prof = profile or profile_dir()
    cmd = [soffice(), f"-env:UserInstallation={prof.resolve().as_uri()}", "--headless", "--norestore",
           "--nolockcheck", "--convert-to", fmt, "--outdir", str(outdir), *map(str, srcs)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT,
                          env={**os.environ, "SAL_USE_VCLPLUGIN": "svp"})
    outs = [outdir / f"{s.stem}.{ext}" for s in srcs]
    missing = [o for o in outs if not o.is_file() or o.stat().st_size == 0]
    if missing:
        raise LibreOfficeError(f"soffice did not write {', '.join(map(str, missing))} (exit {proc.returncode})\n"
                               f"stdout: {proc.stdout[-2000:]}\nstderr: {proc.stderr[-2000:]}")
    return outs


def to_pdf(sources: Path | Sequence[Path], outdir: Path) -> Path | list[Path]:
    """PDF of each workbook as LibreOffice prints it (one path for one source, else a list)."""
    outs = convert(sources, "pdf", outdir)
    return outs[0] if isinstance(sources, (str, Path)) else outs


def to_xlsx(sources: Path | Sequence[Path], outdir: Path) -> Path | list[Path]:
    """Round trip: open in LibreOffice and save again as .xlsx (in outdir, never in place)."""
    outs = convert(sources, "xlsx:Calc MS Excel 2007 XML", outdir)
    return outs[0] if isinstance(sources, (str, Path)) else outs


def to_png(pdf: Path, outdir: Path, *, dpi: int = 70, prefix: str = "page",
           first: int | None = None, last: int | None = None) -> list[Path]:
    """Render PDF pages to PNG with pdftoppm; returns the pages in order."""
    exe = shutil.which("pdftoppm")
    if exe is None:
        missing_tool("pdftoppm (poppler-utils)")
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    cmd = [exe, "-png", "-r", str(dpi)]
    if first:
        cmd += ["-f", str(first)]
    if last:
        cmd += ["-l", str(last)]
    proc = subprocess.run([*cmd, str(pdf), str(outdir / prefix)], capture_output=True, text=True, timeout=TIMEOUT)
    pages = sorted(outdir.glob(f"{prefix}-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    if proc.returncode != 0 or not pages:
        raise LibreOfficeError(f"pdftoppm failed on {pdf} (exit {proc.returncode}): {proc.stderr[-2000:]}")
    return pages


def pdf_pages(pdf: Path) -> int:
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, timeout=60).stdout
    m = re.search(r"^Pages:\s+(\d+)", out, re.M)
    return int(m.group(1)) if m else 0


def pdf_text(pdf: Path) -> str:
    """The PDF's text (pdftotext -layout): what a reader of the printed page sees."""
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          timeout=60).stdout


def pdf_fonts(pdf: Path) -> list[str]:
    """Font names embedded in the PDF (pdffonts): a CJK font means Chinese is drawn, not boxes."""
    out = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, timeout=60).stdout
    return [line.split()[0] for line in out.splitlines()[2:] if line.strip()]


# ------------------------------------------------------------------------------- PNG reading


def read_png(path: Path) -> tuple[int, int, int, bytes]:
    """Decode an 8-bit, non-interlaced PNG (what pdftoppm writes): (width, height, channels, pixels).

    Pure Python (zlib + the five row filters) so the check needs no imaging library.
    """
    data = Path(path).read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path} is not a PNG file")
    pos, idat, width = 8, bytearray(), 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or interlace or colour not in (0, 2, 4, 6):
                raise ValueError(f"{path}: only 8-bit non-interlaced grey/RGB(A) PNGs are supported")
            channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
        pos += 12 + length
    raw = zlib.decompress(bytes(idat))
    stride = width * channels
    out = bytearray(stride * height)
    prev = bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if f == 1:
            for i in range(channels, stride):
                line[i] = (line[i] + line[i - channels]) & 0xFF
        elif f == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, prev))
        elif f == 3:
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif f == 4:
            for i in range(stride):
                a = line[i - channels] if i >= channels else 0
                b = prev[i]
                c = prev[i - channels] if i >= channels else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        out[y * stride:(y + 1) * stride] = line
        prev = line
    return width, height, channels, bytes(out)


def ink(path: Path, threshold: int = 200) -> float:
    """Share of pixels darker than `threshold` (0-255, first channel and green/blue alike)."""
    width, height, channels, pixels = read_png(path)
    colour = channels if channels in (1, 3) else channels - 1  # drop alpha
    table = bytes(1 if v < threshold else 0 for v in range(256))
    dark = max(pixels[ch::channels].translate(table).count(1) for ch in range(colour))
    return dark / max(width * height, 1)


def assert_not_blank(png: Path, min_ink: float = 0.002) -> float:
    """Fail unless the picture has some ink (text, grid lines); returns the measured share."""
    share = ink(png)
    if share < min_ink:
        raise AssertionError(f"{png} looks blank: {share:.4%} of its pixels are dark (want ≥ {min_ink:.2%})")
    return share


def render(sources: Path | Iterable[Path], outdir: Path, *, dpi: int = 70) -> dict[Path, list[Path]]:
    """Workbooks -> PDF -> PNG pages in one go: {source: [page PNGs]}, PDFs kept in outdir."""
    srcs = [Path(sources)] if isinstance(sources, (str, Path)) else [Path(s) for s in sources]
    pdfs = convert(srcs, "pdf", outdir)
    return {s: to_png(p, Path(outdir) / s.stem, dpi=dpi) for s, p in zip(srcs, pdfs)}
