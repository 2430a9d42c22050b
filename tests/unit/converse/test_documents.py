"""Documents: format from bytes and name, names Bedrock accepts, Bedrock's limits."""

import pytest

from app.converse.documents import (
    check_document_count,
    decode_file_data,
    document_block,
    document_format,
    document_name,
)
from app.errors import InvalidRequestError
from tests.unit.converse.models import HAIKU_3, LLAMA


@pytest.mark.parametrize(
    ("raw", "filename", "fmt"),
    [
        (b"%PDF-1.7 ...", "scan.bin", "pdf"),
        (b"PK\x03\x04....word/document.xml", None, "docx"),
        (b"PK\x03\x04....xl/workbook.xml", None, "xlsx"),
        (b"PK\x03\x04....", "sheet.XLSX", "xlsx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1....", "old.xls", "xls"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1....", None, "doc"),
        (b"a,b\n1,2\n", "data.csv", "csv"),
        (b"# Title\n", "notes.markdown", "md"),
        (b"<!DOCTYPE html><html></html>", None, "html"),
        (b"<p>hi</p>", "page.htm", "html"),
        (b"plain words", None, "txt"),
        (b"\x00\x01\x02binary", "blob.bin", None),
        (b"PK\x03\x04 not office", "archive.zip", None),
    ],
)
def test_the_format_comes_from_the_bytes_then_the_name(raw, filename, fmt):
    assert document_format(raw, filename) == fmt


@pytest.mark.parametrize(
    ("filename", "name"),
    [
        ("Q3 report, final!.pdf", "Q3 report- final-"),
        ("dir/sub/plan  v2 (draft).docx", "plan v2 (draft)"),
        ("résumé.pdf", "r-sum-"),
        (None, "document-pdf"),
        ("...pdf", "document-pdf"),
    ],
)
def test_names_are_made_of_what_bedrock_accepts(filename, name):
    assert document_name(filename, "pdf") == name


def test_a_file_part_becomes_a_document_block():
    raw = decode_file_data("data:application/pdf;base64,JVBERi0xLjQ=", "p")
    assert document_block(raw, "a.pdf", HAIKU_3, "messages[0].content[1]") == {
        "document": {"format": "pdf", "name": "a", "source": {"bytes": b"%PDF-1.4"}}
    }


def test_a_model_without_documents_is_refused_naming_it():
    with pytest.raises(InvalidRequestError) as caught:
        document_block(b"%PDF-1.4", "a.pdf", LLAMA, "messages[0].content[0]")
    assert (caught.value.message, caught.value.param) == (
        "The model `meta.llama3-8b-instruct-v1:0` does not accept documents.",
        "messages[0].content[0]",
    )


def test_bad_base64_is_refused():
    with pytest.raises(InvalidRequestError) as caught:
        decode_file_data("data:application/pdf;base64,@@@", "messages[0].content[0].file.file_data")
    assert caught.value.param == "messages[0].content[0].file.file_data"


def test_a_document_over_bedrocks_size_is_refused_before_decoding():
    with pytest.raises(InvalidRequestError, match="at most 4500000 bytes"):
        decode_file_data("A" * 6_100_000, "p")


def test_more_than_five_documents_in_a_conversation_are_refused():
    block = {"document": {"format": "txt", "name": "a", "source": {"bytes": b"x"}}}
    turns = [{"role": "user", "content": [dict(block) for _ in range(3)]}] * 2
    with pytest.raises(InvalidRequestError, match="6 documents"):
        check_document_count(turns, "messages")


def test_repeated_names_are_numbered():
    turns = [{"role": "user", "content": [{"document": {"name": "a"}} for _ in range(3)]}]
    check_document_count(turns, "messages")
    assert [block["document"]["name"] for block in turns[0]["content"]] == ["a", "a (2)", "a (3)"]
