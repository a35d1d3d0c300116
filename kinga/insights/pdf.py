"""A small PDF writer for the monthly report: text, rectangles and circles on A4 pages.

Written here rather than taken from a library: the report needs one font (the PDF
standard Helvetica, WinAnsi encoding, which covers English and Kiswahili), filled shapes
and nothing else, and a few dozen lines cover that without a dependency.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

A4 = (595.28, 841.89)
KAPPA = 0.5523  # a quarter circle as one Bezier curve


def _text(value: str) -> bytes:
    encoded = value.encode("cp1252", errors="replace")
    return encoded.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


@dataclass
class Page:
    ops: list[bytes] = field(default_factory=list)

    def text(
        self,
        x: float,
        y: float,
        value: str,
        *,
        size: float = 10,
        bold: bool = False,
        grey: float = 0.0,
    ) -> None:
        """Write one line of text with its baseline at (x, y) points from the top left."""
        font = b"/F2" if bold else b"/F1"
        self.ops.append(
            b"BT %s %.1f Tf %.3f g %.2f %.2f Td (%s) Tj ET"
            % (font, size, grey, x, A4[1] - y, _text(value))
        )

    def rect(
        self,
        x: float,
        y: float,
        width: float,
        height: float,
        *,
        rgb: tuple[float, float, float] = (0.12, 0.44, 0.55),
    ) -> None:
        """Fill a rectangle whose top left corner is (x, y)."""
        self.ops.append(
            b"%.3f %.3f %.3f rg %.2f %.2f %.2f %.2f re f"
            % (*rgb, x, A4[1] - y - height, width, height)
        )

    def circle(
        self,
        cx: float,
        cy: float,
        r: float,
        *,
        rgb: tuple[float, float, float] = (0.75, 0.22, 0.17),
    ) -> None:
        """Fill a circle centred on (cx, cy)."""
        y = A4[1] - cy
        k = KAPPA * r
        self.ops.append(
            b"%.3f %.3f %.3f rg %.2f %.2f m "
            b"%.2f %.2f %.2f %.2f %.2f %.2f c %.2f %.2f %.2f %.2f %.2f %.2f c "
            b"%.2f %.2f %.2f %.2f %.2f %.2f c %.2f %.2f %.2f %.2f %.2f %.2f c f"
            % (
                *rgb,
                cx + r,
                y,
                cx + r,
                y + k,
                cx + k,
                y + r,
                cx,
                y + r,
                cx - k,
                y + r,
                cx - r,
                y + k,
                cx - r,
                y,
                cx - r,
                y - k,
                cx - k,
                y - r,
                cx,
                y - r,
                cx + k,
                y - r,
                cx + r,
                y - k,
                cx + r,
                y,
            )
        )


@dataclass
class Document:
    title: str
    pages: list[Page] = field(default_factory=list)

    def page(self) -> Page:
        page = Page()
        self.pages.append(page)
        return page

    def render(self) -> bytes:
        """Return the PDF file."""
        objects: list[bytes] = []

        def add(body: bytes) -> int:
            objects.append(body)
            return len(objects)

        catalog = add(b"")
        pages = add(b"")
        regular = add(
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
        )
        bold = add(
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold "
            b"/Encoding /WinAnsiEncoding >>"
        )
        kids = []
        for page in self.pages:
            stream = zlib.compress(b"\n".join(page.ops))
            content = add(
                b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream"
                % (len(stream), stream)
            )
            kids.append(
                add(
                    b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %.2f %.2f] "
                    b"/Resources << /Font << /F1 %d 0 R /F2 %d 0 R >> >> /Contents %d 0 R >>"
                    % (pages, A4[0], A4[1], regular, bold, content)
                )
            )
        objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % pages
        objects[pages - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
            b" ".join(b"%d 0 R" % kid for kid in kids),
            len(kids),
        )
        info = add(b"<< /Title (%s) /Producer (Kinga) >>" % _text(self.title))
        out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(objects, start=1):
            offsets.append(len(out))
            out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
        xref = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
        for offset in offsets:
            out += b"%010d 00000 n \n" % offset
        out += b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
            len(objects) + 1,
            catalog,
            info,
            xref,
        )
        return bytes(out)
