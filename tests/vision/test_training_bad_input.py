"""``thermal-sar train`` with a file that is no dataset or a payload folder that cannot be written: one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from geo.errors import FormatError, SarIOError
from tests.vision.test_training import _payload_sources
from thermal_sar.cli import main
from vision.training import TrainConfig, read_data_yaml, write_device_payload


def _binary(path: Path) -> Path:
    path.write_bytes(bytes([0x00, 0x9F, 0xFF, 0xFE]) * 64)  # like an SRTM .hgt: not UTF-8
    return path


def test_a_binary_file_is_no_data_yaml(tmp_path: Path, capsys):
    blob = _binary(tmp_path / "N44W072.hgt")
    with pytest.raises(FormatError, match="N44W072.hgt.*not a text file"):
        read_data_yaml(blob)
    rc = main(["train", "--data", str(blob), "--device-payload", str(tmp_path / "p"),
               "--work-dir", str(tmp_path / "w")])
    err = capsys.readouterr().err
    assert rc == 2 and "not a text file" in err and "Traceback" not in err
    assert not (tmp_path / "p").exists()


@pytest.mark.parametrize("where", ["afile/sub", "afile"])
def test_a_payload_folder_that_cannot_be_made_is_one_line(tmp_path: Path, capsys, where):
    a, _ = _payload_sources(tmp_path)
    (tmp_path / "afile").write_text("a file, not a folder")
    with pytest.raises(SarIOError, match="device payload"):
        write_device_payload([a], tmp_path / where, config=TrainConfig(), work_dir=tmp_path / "w")
    assert not (tmp_path / "w").exists()  # refused before the merge
    rc = main(["train", "--data", str(a), "--device-payload", str(tmp_path / where), "--work-dir", str(tmp_path / "w")])
    err = capsys.readouterr().err
    assert rc == 2 and ("device payload" in err or "is a file" in err) and "Traceback" not in err
    assert (tmp_path / "afile").read_text() == "a file, not a folder"


def test_payload_probe_leaves_no_folder_when_the_data_is_bad(tmp_path: Path):
    blob = _binary(tmp_path / "x.yaml")
    with pytest.raises(FormatError):
        write_device_payload([blob], tmp_path / "new" / "p", config=TrainConfig(), work_dir=tmp_path / "w")
    assert not (tmp_path / "new").exists()
