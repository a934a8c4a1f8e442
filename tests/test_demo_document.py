"""kernel.demo.document: the buffer, its file, and our own writes told from others'."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from kernel.demo.document import OWN_SIGNATURES, Document, count_in_chunks, count_text
from kernel.demo.files import signature

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.parametrize(
    ("text", "counts"),
    [
        ("", (0, 1)),
        ("one", (1, 1)),
        ("one two\n", (2, 2)),
        ("  a\tb \n\n c  ", (3, 3)),
    ],
    ids=["empty", "word", "final-newline", "whitespace"],
)
def test_count_text(text: str, counts: tuple[int, int]) -> None:
    assert count_text(text) == counts


def test_scratch_document_edits_but_never_saves() -> None:
    doc = Document(None)
    assert (doc.name, doc.text, doc.is_modified, doc.signature) == ("[scratch]", "", False, None)
    doc.text = "x"
    assert doc.is_modified
    assert doc.save() is False
    doc.reload()  # nothing to read: the text stays
    assert doc.text == "x"


def test_document_loads_saves_and_knows_it_was_modified(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    doc = Document(path)
    assert (doc.name, doc.text, doc.is_modified) == ("notes.txt", "hello", False)
    doc.text = "hello world"
    assert [doc.is_modified] == [True]  # (a list: mypy would narrow the property)
    assert doc.save() is True
    assert path.read_text() == "hello world"
    assert not doc.is_modified
    assert doc.signature == signature(path)


def test_document_tells_its_own_writes_from_outside_changes(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    doc = Document(path)  # does not exist yet
    assert doc.is_ours(None)
    doc.text = "a"
    doc.save()
    first = signature(path)
    doc.text = "ab"
    doc.save()
    assert doc.is_ours(first)  # an older save of ours, reported late by the watcher
    assert doc.is_ours(signature(path))
    path.write_text("someone else, longer")
    assert not doc.is_ours(signature(path))


def test_document_remembers_a_bounded_number_of_its_writes(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    doc = Document(path)
    seen = []
    for i in range(OWN_SIGNATURES + 1):
        doc.text = "x" * (i + 1)
        doc.save()
        seen.append(signature(path))
    assert not doc.is_ours(seen[0])
    assert all(doc.is_ours(s) for s in seen[1:])


def test_document_reload_drops_edits(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_text("v1")
    doc = Document(path)
    doc.text = "mine"
    path.write_text("version 2")
    doc.reload()
    assert (doc.text, doc.is_modified) == ("version 2", False)
    assert doc.is_ours(signature(path))


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 64], ids=lambda c: f"chunk{c}")
@pytest.mark.parametrize(
    "text", ["", "a", "one two  three", " lead and trail ", "x\ny\tz\n"], ids=repr
)
def test_count_in_chunks_matches_split(text: str, chunk: int) -> None:
    assert count_in_chunks(text, chunk) == len(text.split())


def test_count_in_chunks_refuses_a_bad_chunk() -> None:
    with pytest.raises(ValueError, match=r"^chunk must be a positive number of characters, got 0$"):
        count_in_chunks("a b", 0)
