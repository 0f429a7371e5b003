"""The command line builds the core's typed options and reads a real file with them."""

import json

from PIL import Image

from dicom_core.cli import main
from tests.conftest import CORPUS


def test_read_with_frames_window_and_size(capsys, tmp_path):
    arguments = ["--frames", "2-3", "--window", "100", "200", "--max-size", "32", "--fields", "Rows", "--out", str(tmp_path)]
    assert main(["read", str(CORPUS / "emri_small.dcm"), *arguments]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["Rows"] == "64" and len(body["Images"]) == 2
    assert body["Rendering"]["window"] == [100.0, 200.0]
    assert Image.open(body["Images"][0]).size == (32, 32)


def test_a_zip_gets_a_folder_a_member(capsys, tmp_path):
    assert main(["read", str(CORPUS / "study_77654033.zip"), "--max-size", "16", "--out", str(tmp_path)]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["files"] and all(path.startswith(str(tmp_path)) for member in body["files"] for path in member["Images"])


def test_an_option_that_breaks_an_invariant_is_named_in_the_core_terms(capsys):
    assert main(["read", str(CORPUS / "CT_small.dcm"), "--window", "40", "0.5"]) == 1
    assert json.loads(capsys.readouterr().err)["option"] == "window"
