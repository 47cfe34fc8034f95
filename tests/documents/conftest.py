"""The documents tests: every test writes into its own folder (never the data folder)."""

from __future__ import annotations

import struct
import zlib

import pytest


@pytest.fixture(autouse=True)
def documents_dir(settings, tmp_path):
    folder = tmp_path / "documents"
    settings.KETAPATH_DOCUMENTS_DIR = folder
    return folder


def png_bytes() -> bytes:
    """A real 1x1 PNG (signature, header, data and end chunks with their CRCs)."""

    def chunk(name: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + name + data + struct.pack(">I", zlib.crc32(name + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def jpeg_bytes() -> bytes:
    """The start of a JPEG/JFIF file (start of image, an APP0 segment) and its end marker."""
    app0 = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return b"\xff\xd8" + app0 + b"\xff\xdb\x00\x43\x00" + bytes(64) + b"\xff\xd9"


def pdf_bytes(body: bytes = b"") -> bytes:
    return b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n" + body + b"\ntrailer << /Root 1 0 R >>\n%%EOF\n"
