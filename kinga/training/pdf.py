"""A one-page PDF of lines of text, enough for a certificate, written from the PDF 1.4
specification: a page, Helvetica in two weights (standard fonts, so nothing is embedded),
and centred lines. Text outside Latin-1 is shown as "?" (the standard fonts have no more)."""

from __future__ import annotations

from dataclasses import dataclass

PAGE_WIDTH = 842  # A4 landscape, in points
PAGE_HEIGHT = 595
# Helvetica's average advance (in 1/1000 em) is close enough to centre a line by eye.
AVERAGE_ADVANCE = {"F1": 0.52, "F2": 0.56}


@dataclass(frozen=True)
class Line:
    text: str
    size: int = 14
    bold: bool = False
    gap_before: int = 10


def _escape(text: str) -> bytes:
    raw = text.encode("latin-1", "replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _content(lines: list[Line]) -> bytes:
    out = [b"0.2 0.3 0.5 RG 4 w 30 30 782 535 re S 1 w 40 40 762 515 re S"]
    y = PAGE_HEIGHT - 90
    for line in lines:
        y -= line.gap_before + line.size
        font = "F2" if line.bold else "F1"
        width = len(line.text) * line.size * AVERAGE_ADVANCE[font]
        x = max(50.0, (PAGE_WIDTH - width) / 2)
        out.append(
            b"BT /%s %d Tf %.1f %d Td (%s) Tj ET"
            % (font.encode(), line.size, x, y, _escape(line.text))
        )
    return b"\n".join(out)


def render(lines: list[Line], *, title: str) -> bytes:
    """Return the bytes of a one-page A4 landscape PDF showing the lines, centred."""
    content = _content(lines)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] "
        b"/Resources << /Font << /F1 4 0 R /F2 5 0 R >> >> /Contents 6 0 R >>"
        % (PAGE_WIDTH, PAGE_HEIGHT),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Title (%s) /Producer (Kinga) >>" % _escape(title),
    ]
    body = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(body))
        body += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(body)
    body += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        body += b"%010d 00000 n \n" % offset
    body += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        len(objects),
        xref,
    )
    return bytes(body)
