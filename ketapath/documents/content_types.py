"""Which file a clinician may attach, told by its first bytes, never by its name.

The browser's ``Content-Type`` and the file's extension are what the sender says; the first bytes
are what the file is. A file is accepted only when they are one of three signatures (a PDF, a PNG,
a JPEG) and the file has the structure that signature promises: a PDF ends with its ``%%EOF``
marker (a truncated upload does not), a PNG's first chunk is its header, a JPEG's start-of-image
marker is followed by another marker. Pure Python, no Django: the form and the tests call it.

Pillow is not installed, so an image is not decoded: the structure checks above are what a
signature check can add without it. The file is served back with this type, ``nosniff`` and a
sandbox policy, so a file that passes is never run as a page of this site.
"""

from __future__ import annotations

from dataclasses import dataclass

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"

#: What a document may be, with the extension its stored copy and its download name carry.
EXTENSIONS = {PDF: "pdf", PNG: "png", JPEG: "jpg"}
LABELS = {PDF: "PDF", PNG: "PNG image", JPEG: "JPEG image"}

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SOI = b"\xff\xd8\xff"
PDF_SIGNATURE = b"%PDF-"
#: Readers look for ``%%EOF`` in the last 1,024 bytes (PDF 1.7, ISO 32000-1, annex H.3 note 3).
PDF_TAIL = 1024
#: Bytes read from the start to tell the type (a PNG's signature and its header chunk's name).
HEAD = 32


@dataclass(frozen=True)
class Sniffed:
    """The type a file's bytes show, or the reason it is refused (``content_type`` empty)."""

    content_type: str = ""
    problem: str = ""


def accepted_list() -> str:
    return ", ".join(LABELS.values())


def sniff(head: bytes, tail: bytes) -> Sniffed:
    """The type of a file whose first bytes are ``head`` and last bytes are ``tail``.

    >>> sniff(b"%PDF-1.7\\n", b"trailer\\n%%EOF\\n").content_type
    'application/pdf'
    >>> sniff(b"<html><body>", b"</html>").problem[:29]
    'This file is not a PDF, PNG i'
    """
    refused = "This file is not a PDF, PNG image or JPEG image (its content was checked, not its name)."
    if head.startswith(PDF_SIGNATURE):
        version = head[len(PDF_SIGNATURE) : len(PDF_SIGNATURE) + 2]
        if version not in (b"1.", b"2."):
            return Sniffed(problem=refused)
        if b"%%EOF" not in tail[-PDF_TAIL:]:
            return Sniffed(
                problem="This PDF is incomplete (it has no end marker): upload the whole file again."
            )
        return Sniffed(PDF)
    if head.startswith(PNG_SIGNATURE):
        # The first chunk: 4 bytes of length (13 for a header), then its name.
        if head[8:16] != b"\x00\x00\x00\x0dIHDR":
            return Sniffed(problem="This PNG image is damaged (its header is missing).")
        return Sniffed(PNG)
    if head.startswith(JPEG_SOI) and len(head) > 3 and head[3] >= 0xC0:
        return Sniffed(JPEG)
    return Sniffed(problem=refused)


def human_size(size_bytes: int) -> str:
    """A size as people read it: ``"512 bytes"``, ``"12.5 KiB"``, ``"20 MiB"``.

    >>> human_size(20 * 1024 * 1024), human_size(1536), human_size(300)
    ('20 MiB', '1.5 KiB', '300 bytes')
    """
    if size_bytes < 1024:
        return f"{size_bytes} bytes"
    for unit, factor in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if size_bytes >= factor:
            value = f"{size_bytes / factor:.1f}".removesuffix(".0")
            return f"{value} {unit}"
    return f"{size_bytes} bytes"  # pragma: no cover
