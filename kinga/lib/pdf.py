"""A plain-text PDF: pages of wrapped lines in a standard font, nothing else.

For exports people read (a person's data, a notice): no layout, no images, no fonts to embed,
so no library is needed. Text is written in the PDF's standard Latin encoding; a character
outside it becomes "?" (names are kept in the JSON export exactly).
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

PAGE_WIDTH, PAGE_HEIGHT = 595, 842  # A4 in points
MARGIN = 50
FONT_SIZE = 10
LEADING = 13
COLUMNS = 95  # characters per line at this size, Helvetica, roughly
LINES_PER_PAGE = (PAGE_HEIGHT - 2 * MARGIN) // LEADING


def _escape(line: str) -> bytes:
    encoded = line.encode("cp1252", errors="replace")
    return encoded.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _wrapped(lines: Iterable[str]) -> list[str]:
    out: list[str] = []
    for line in lines:
        for part in line.split("\n"):
            out.extend(textwrap.wrap(part, COLUMNS, subsequent_indent="    ") or [""])
    return out


def text_pdf(lines: Iterable[str], *, title: str = "") -> bytes:
    """Return a PDF document showing the lines, wrapped, on as many A4 pages as needed."""
    wrapped = _wrapped(lines)
    pages = [
        wrapped[start : start + LINES_PER_PAGE] for start in range(0, len(wrapped), LINES_PER_PAGE)
    ] or [[]]
    objects: list[bytes] = []
    # 1 catalog, 2 pages, 3 font, 4 info; then a page and its content stream per page
    kids = " ".join(f"{5 + 2 * index} 0 R" for index in range(len(pages)))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    objects.append(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    )
    objects.append(b"<< /Title (" + _escape(title) + b") /Producer (Kinga) >>")
    for index, page in enumerate(pages):
        content = [b"BT", f"/F1 {FONT_SIZE} Tf {LEADING} TL".encode()]
        content.append(f"{MARGIN} {PAGE_HEIGHT - MARGIN} Td".encode())
        for line in page:
            content.append(b"(" + _escape(line) + b") Tj T*")
        content.append(b"ET")
        stream = b"\n".join(content)
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_WIDTH} {PAGE_HEIGHT}] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {6 + 2 * index} 0 R >>".encode()
        )
        objects.append(f"<< /Length {len(stream)} >>\nstream\n".encode() + stream + b"\nendstream")
    document = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(document))
        document += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(document)
    document += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        document += f"{offset:010d} 00000 n \n".encode()
    document += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 4 0 R >>\n"
        f"startxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(document)
