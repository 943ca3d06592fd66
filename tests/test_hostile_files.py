"""Hostile-input findings about files: nothing is lost, nothing is written through a link, nothing blocks.

Every writer (CLI outputs, report, model files, training outputs) goes through the one safe writer
``polyapprox.internal.write_file``; these tests plant links, FIFOs and foreign files at every path.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from polyapprox.app.cli import main
from polyapprox.internal import PolyapproxError, open_append, write_file

SWEEP = ["sweep", "engine", "--n", "2", "--d", "1", "--degree", "2", "--no-progress"]
SPARSE = ["build", "sparse-transformer", "--target", "centered", "--n", "3", "--d", "1", "--pattern", "star"]


def _records(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_sweep_out_refuses_existing_non_sweep_file(tmp_path, capsys):
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\nsecond line\n")
    assert main([*SWEEP, "--out", str(notes)]) == 2
    err = capsys.readouterr().err
    assert "not a sweep results file" in err and len(err.strip().splitlines()) == 1
    assert notes.read_text() == "my notes\nsecond line\n"


def test_sweep_out_refuses_a_one_line_file_without_newline(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("keep")  # no newline: not mistaken for a record torn by a crash
    assert main([*SWEEP, "--out", str(notes)]) == 2
    assert notes.read_text() == "keep"


def test_sweep_resume_file_not_utf8_is_one_line_error(tmp_path, capsys):
    out = tmp_path / "r.jsonl"
    out.write_bytes(b"\xff\xfe\x00garbage\n")
    assert main([*SWEEP, "--out", str(out)]) == 2
    assert "not UTF-8" in capsys.readouterr().err
    assert out.read_bytes() == b"\xff\xfe\x00garbage\n"


def test_two_sweeps_sharing_one_out_keep_both_records(tmp_path):
    out = tmp_path / "shared.jsonl"
    assert main([*SWEEP, "--out", str(out)]) == 0
    first = _records(out)
    other = ["sweep", "engine", "--n", "3", "--d", "1", "--degree", "2", "--no-progress"]
    assert main([*other, "--out", str(out)]) == 0
    both = _records(out)
    assert [r["item"]["n"] for r in both] == [3, 2]  # this grid's record first, the other sweep's kept
    assert both[1] == first[0]
    assert main([*SWEEP, "--out", str(out)]) == 0  # re-running the first resumes and still keeps both
    assert sorted(r["item"]["n"] for r in _records(out)) == [2, 3]


def test_sweep_forged_record_with_wrong_digest_is_recomputed(tmp_path):
    out = tmp_path / "r.jsonl"
    assert main([*SWEEP, "--out", str(out)]) == 0
    (record,) = _records(out)
    forged = dict(record, rank=-7, digest="0" * 64)
    out.write_text(json.dumps(forged, sort_keys=True) + "\n")
    assert main([*SWEEP, "--out", str(out)]) == 0
    assert _records(out) == [record]


def test_sweep_out_symlink_is_refused(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    link = tmp_path / "link.jsonl"
    link.symlink_to(victim)
    assert main([*SWEEP, "--out", str(link)]) == 2
    assert victim.read_text() == "keep me" and link.is_symlink()


def test_sweep_out_dangling_symlink_does_not_create_its_target(tmp_path):
    link = tmp_path / "link.jsonl"
    link.symlink_to(tmp_path / "created.jsonl")
    assert main([*SWEEP, "--out", str(link)]) == 2
    assert not (tmp_path / "created.jsonl").exists()


def test_sweep_preplanted_tmp_symlink_is_not_written_through(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    out = tmp_path / "results.jsonl"
    (tmp_path / "results.jsonl.tmp").symlink_to(victim)
    assert main([*SWEEP, "--out", str(out)]) == 0
    assert victim.read_text() == "keep me"
    assert len(_records(out)) == 1


def test_sweep_out_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    code = "import sys; from polyapprox.app.cli import main; sys.exit(main(sys.argv[1:]))"
    # a regression would block forever on opening the FIFO: the timeout turns that into a failure
    done = subprocess.run(
        [sys.executable, "-c", code, *SWEEP, "--out", str(fifo)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 2 and "not a regular file" in done.stderr


def test_build_sparse_transformer_save_symlink_is_refused(tmp_path, capsys):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    link = tmp_path / "net.safetensors"
    link.symlink_to(victim)
    assert main([*SPARSE, "--save", str(link)]) == 2
    assert "symbolic link" in capsys.readouterr().err
    assert victim.read_text() == "keep me"
    dangling = tmp_path / "dangling.safetensors"
    dangling.symlink_to(tmp_path / "made.safetensors")
    assert main([*SPARSE, "--save", str(dangling)]) == 2
    assert not (tmp_path / "made.safetensors").exists()


def test_model_save_to_symlink_is_refused(tmp_path):
    from constructions import continuous, save, targets

    S, _ = continuous.approximate(targets.get("centered"), n=2, d=1, degree=1, samples=20)
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    link = tmp_path / "m.safetensors"
    link.symlink_to(victim)
    with pytest.raises(PolyapproxError, match="symbolic link"):
        save(S, link)
    assert victim.read_text() == "keep me"


@pytest.mark.torch
def test_train_out_file_symlink_is_refused_before_training(tmp_path, capsys):
    pytest.importorskip("torch")
    victim = tmp_path / "victim.md"
    victim.write_text("keep me")
    out = tmp_path / "out"
    out.mkdir()
    (out / "init.md").symlink_to(victim)
    assert main(["train", "init", "--quick", "--out", str(out)]) == 2
    assert "symbolic link" in capsys.readouterr().err
    assert victim.read_text() == "keep me"


@pytest.mark.parametrize("command", [["train", "init", "--quick"], ["reproduce", "--quick", "--only", "latent"]])
def test_out_directory_symlink_is_refused(tmp_path, capsys, command):
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    assert main([*command, "--out", str(link)]) == 2
    assert "symbolic link" in capsys.readouterr().err
    assert list(real.iterdir()) == []


def test_safe_write_respects_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        write_file(tmp_path / "a.txt", "x")
        with open_append(tmp_path / "b.txt") as fh:
            fh.write("x")
    finally:
        os.umask(old)
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "b.txt").stat().st_mode & 0o777 == 0o644
    old = os.umask(0o077)
    try:
        write_file(tmp_path / "c.txt", "x")
    finally:
        os.umask(old)
    assert (tmp_path / "c.txt").stat().st_mode & 0o777 == 0o600


def test_safe_write_is_atomic_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "f.bin"
    write_file(path, b"old")
    write_file(path, np.arange(3, dtype=np.uint8).tobytes())
    assert path.read_bytes() == b"\x00\x01\x02"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.bin"]
