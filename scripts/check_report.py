#!/usr/bin/env python3
"""Judges one report as Chromium rendered it (called by scripts/check-report.sh).

usage: check_report.py PAGE DOM LOG SCREENSHOT

- PAGE: the report.html meshmem wrote; DOM: Chromium's --dump-dom of it; LOG: Chromium's
  stderr; SCREENSHOT: its --screenshot PNG.
- Fails (exit 1) if the browser's DOM lacks the charts or tables the page holds, if the
  log shows a resource load or a console error, or if the screenshot is blank.
Standard library only: the PNG is decoded with zlib.
"""
import re
import struct
import sys
import zlib


def png_pixels(path):
    """Rows of (r, g, b) tuples of an 8-bit RGB/RGBA non-interlaced PNG."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in (2, 6) or interlace:
        raise ValueError(f"unsupported PNG (depth {depth}, colour {colour})")
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    prev = bytearray(stride)
    rows = []
    i = 0
    for _ in range(height):
        f = raw[i]
        line = bytearray(raw[i + 1 : i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pred) & 255
        rows.append([tuple(line[x : x + 3]) for x in range(0, stride, bpp)])
        prev = line
    return rows


def main():
    page, dom, log, shot = sys.argv[1:5]
    source = open(page, encoding="utf-8").read()
    rendered = open(dom, encoding="utf-8", errors="replace").read()
    problems = []

    if "<h1>" not in rendered:
        problems.append("the browser's DOM has no <h1>: the page did not load")
    want_svg = source.count('<figure id="chart-')
    got_svg = len(re.findall(r"<svg\b", rendered))
    if want_svg == 0:
        problems.append("the page holds no charts")
    if got_svg < want_svg:
        problems.append(f"{want_svg} charts in the page, {got_svg} <svg> in the browser's DOM")
    want_tables = source.count("<table")
    got_tables = rendered.count("<table")
    if got_tables < want_tables or want_tables == 0:
        problems.append(f"{want_tables} tables in the page, {got_tables} in the browser's DOM")
    if "summary-table" not in rendered:
        problems.append("no summary table in the browser's DOM")

    for line in open(log, encoding="utf-8", errors="replace"):
        if "Failed to load resource" in line or ("CONSOLE" in line and "rror" in line):
            problems.append("browser log: " + line.strip()[:200])

    try:
        rows = png_pixels(shot)
        total = sum(len(r) for r in rows)
        white = sum(1 for r in rows for p in r if min(p) >= 250)
        colours = {p for r in rows[:: max(1, len(rows) // 200)] for p in r[::4]}
        ink = 1 - white / total
        if ink < 0.01 or len(colours) < 16:
            problems.append(
                f"screenshot looks blank: {100 * ink:.2f} % non-white, {len(colours)} colours"
            )
    except (OSError, ValueError, TypeError, zlib.error) as e:
        problems.append(f"screenshot unreadable: {e}")

    if problems:
        print(f"FAIL {page}")
        for p in problems:
            print(f"  - {p}")
        return 1
    print(
        f"ok   {page}: {got_svg} charts and {got_tables} tables rendered, "
        f"screenshot {100 * ink:.1f} % ink, {len(colours)} colours"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
