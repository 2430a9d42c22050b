"""Document blocks: a file's bytes as a Converse ``document``, for the models that read them.

Bedrock takes pdf, csv, doc, docx, xls, xlsx, html, txt and md. The format is read from
the bytes where they say it (PDF, the Office zip and OLE containers, HTML) and otherwise
from the file name's extension; text that is none of those is sent as txt. Bedrock's
limits are checked here, before the call: 4.5 MB a document, 5 documents a request, and
a name of letters, digits, single spaces, hyphens, parentheses and square brackets (other
characters become hyphens).
"""

from __future__ import annotations

import base64
import binascii
import re

from app.catalogue import ModelInfo
from app.errors import InvalidRequestError

MAX_DOCUMENT_BYTES = 4_500_000
MAX_DOCUMENTS = 5
MAX_NAME = 200
_EXTENSIONS = {"pdf", "csv", "doc", "docx", "xls", "xlsx", "html", "txt", "md"}
_ALIASES = {"htm": "html", "markdown": "md", "text": "txt"}
_NAME_DISALLOWED = re.compile(r"[^A-Za-z0-9\-()\[\]\s]+")
_SPACES = re.compile(r"\s+")
_DATA_URL = re.compile(r"data:[^,]*;base64,(.*)", re.DOTALL | re.IGNORECASE)


def decode_file_data(file_data: str, param: str) -> bytes:
    """A ``data:<mime>;base64,<data>`` URL, or bare base64, as bytes."""
    match = _DATA_URL.fullmatch(file_data.strip())
    data = match.group(1) if match else file_data.strip()
    if len(data) // 4 * 3 > MAX_DOCUMENT_BYTES + 2:
        raise _too_large(len(data) // 4 * 3, param)
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidRequestError(
            "file_data must be a base64 data URL such as data:application/pdf;base64,<data>.", param=param
        ) from None


def _too_large(size: int, param: str) -> InvalidRequestError:
    return InvalidRequestError(
        f"The file is {size} bytes; Amazon Bedrock takes documents of at most {MAX_DOCUMENT_BYTES} bytes.",
        param=param,
    )


def document_block(raw: bytes, filename: str | None, model: ModelInfo, param: str) -> dict:
    """A Converse document block; ``param`` names the file part in the client's request."""
    if not model.family.documents:
        raise InvalidRequestError(f"The model `{model.id}` does not accept documents.", param=param)
    if not raw:
        raise InvalidRequestError("The file is empty.", param=f"{param}.file.file_data")
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise _too_large(len(raw), f"{param}.file.file_data")
    fmt = document_format(raw, filename)
    if fmt is None:
        raise InvalidRequestError(
            "Unsupported file type: send pdf, csv, doc, docx, xls, xlsx, html, txt or md.",
            param=f"{param}.file",
        )
    return {"document": {"format": fmt, "name": document_name(filename, fmt), "source": {"bytes": raw}}}


def document_format(raw: bytes, filename: str | None) -> str | None:
    extension = _extension(filename)
    if raw.startswith(b"%PDF-"):
        return "pdf"
    if raw.startswith(b"PK\x03\x04"):
        if extension in ("docx", "xlsx"):
            return extension
        return "docx" if b"word/" in raw[:4096] else "xlsx" if b"xl/" in raw[:4096] else None
    if raw.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return extension if extension in ("doc", "xls") else "doc"
    if extension in ("csv", "md", "txt", "html"):
        return extension if _is_text(raw) else None
    head = raw[:512].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")):
        return "html"
    return "txt" if _is_text(raw) else None


def document_name(filename: str | None, fmt: str) -> str:
    """A name Bedrock accepts, from the file name without its extension."""
    stem = (filename or "").rsplit("/", 1)[-1]
    if "." in stem:
        stem = stem.rsplit(".", 1)[0]
    name = _SPACES.sub(" ", _NAME_DISALLOWED.sub("-", stem)).strip()[:MAX_NAME].strip()
    return name if any(c.isalnum() for c in name) else f"document-{fmt}"


def check_document_count(turns: list[dict], param: str) -> None:
    """Bedrock's limit of documents per request, counting the whole conversation."""
    documents = [block for turn in turns for block in turn["content"] if "document" in block]
    if len(documents) > MAX_DOCUMENTS:
        raise InvalidRequestError(
            f"This request has {len(documents)} documents; Amazon Bedrock takes at most "
            f"{MAX_DOCUMENTS} per request, counting the whole conversation.",
            param=param,
        )
    _unique_names(documents)


def _unique_names(documents: list[dict]) -> None:
    """Bedrock refuses two documents of one name: later ones get " (2)", " (3)", …."""
    seen: set[str] = set()
    for block in documents:
        document = block["document"]
        name, n = document["name"], 2
        while name in seen:
            suffix = f" ({n})"
            name = document["name"][: MAX_NAME - len(suffix)] + suffix
            n += 1
        document["name"] = name
        seen.add(name)


def _extension(filename: str | None) -> str | None:
    if not filename or "." not in filename:
        return None
    extension = filename.rsplit(".", 1)[-1].lower()
    extension = _ALIASES.get(extension, extension)
    return extension if extension in _EXTENSIONS else None


def _is_text(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\x00" not in raw
