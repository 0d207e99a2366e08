"""Atomic writes (``_core/_io.py``): the old file or the new one, never half of either."""

from __future__ import annotations

import os
import stat

import pytest

from adverse_impact._core._io import write_atomic


def test_atomic_write_keeps_the_old_file_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "report.json"
    write_atomic(target, "old")

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, "new")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]  # no temp left


def _names(folder):
    return sorted(p.name for p in folder.iterdir())


def test_a_write_replaces_the_file_and_returns_its_path(tmp_path):
    target = tmp_path / "report.md"
    target.write_text("a much longer old report that must not leave a tail behind")
    assert write_atomic(str(target), "new") == target
    assert target.read_text() == "new"
    assert _names(tmp_path) == ["report.md"]


def test_text_is_written_as_utf8_and_bytes_as_they_are(tmp_path):
    text = write_atomic(tmp_path / "a.txt", "Zoë – 5-301(d) ≥ 0.8")
    assert text.read_bytes() == "Zoë – 5-301(d) ≥ 0.8".encode()
    raw = write_atomic(tmp_path / "b.bin", bytearray(b"\x00\xff\n"))
    assert raw.read_bytes() == b"\x00\xff\n"


def test_missing_folders_are_made(tmp_path):
    target = write_atomic(tmp_path / "reports" / "2026" / "audit.json", "{}")
    assert target.read_text() == "{}"


def test_a_new_file_gets_the_usual_mode_and_a_replaced_one_keeps_its_own(tmp_path):
    umask = os.umask(0o022)
    try:
        fresh = write_atomic(tmp_path / "fresh.md", "x")
        # mkstemp makes its file 0600; a report is readable as any other file would be.
        assert stat.S_IMODE(fresh.stat().st_mode) == 0o644
        private = tmp_path / "private.md"
        private.write_text("old")
        private.chmod(0o600)
        write_atomic(private, "new")
        assert stat.S_IMODE(private.stat().st_mode) == 0o600
    finally:
        os.umask(umask)


@pytest.mark.parametrize("failure", [OSError("disk full"), KeyboardInterrupt()])
def test_a_failure_while_writing_leaves_no_file_and_no_temporary(tmp_path, monkeypatch, failure):
    def crash(fd):
        raise failure

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(type(failure)):
        write_atomic(tmp_path / "new.json", "data")
    assert _names(tmp_path) == []  # neither a half file nor the temporary
    old = tmp_path / "old.json"
    old.write_text("old")
    with pytest.raises(type(failure)):
        write_atomic(old, "new")
    assert old.read_text() == "old" and _names(tmp_path) == ["old.json"]
