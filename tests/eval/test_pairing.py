"""Pairing by shared name: extensions, prefix/suffix, strictness, duplicates, extras."""

from __future__ import annotations

import pytest

from sodbench.errors import SodbenchError
from sodbench.folders.pairing import list_maps, natural_key, pair_folders


def _touch(folder, *names):
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_bytes(b"")
    return folder


def test_pairs_by_stem_across_extensions_in_natural_order(tmp_path):
    gt = _touch(tmp_path / "gt", "In_10.png", "In_2.png", "Pa_1.bmp", "notes.txt", ".hidden.png")
    pred = _touch(tmp_path / "pred", "In_10.jpg", "In_2.TIFF", "Pa_1.npy")
    pairing = pair_folders(gt, pred)
    assert [name for name, _, _ in pairing.pairs] == ["In_2", "In_10", "Pa_1"]
    assert pairing.pairs[0][2].name == "In_2.TIFF" and pairing.n_gt == 3
    assert pairing.notes() == []


def test_prefix_and_suffix_with_or_without_extension(tmp_path):
    gt = _touch(tmp_path / "gt", "gt_In_1_mask.png", "gt_In_2_mask.png", "other.png")
    pred = _touch(tmp_path / "pred", "In_1_sal.png", "In_2_sal.png", "In_2_sal.jpg")
    pairing = pair_folders(gt, pred, gt_prefix="gt_", gt_suffix="_mask",
                           pred_suffix="_sal.png")
    assert [name for name, _, _ in pairing.pairs] == ["In_1", "In_2"]
    assert pairing.pairs[1][2].name == "In_2_sal.png"


def test_missing_prediction_is_an_error_naming_files_and_the_argument(tmp_path):
    gt = _touch(tmp_path / "gt", "a.png", "b.png", "c.png")
    pred = _touch(tmp_path / "pred", "a.png")
    with pytest.raises(SodbenchError) as error:
        pair_folders(gt, pred, method="M")
    assert str(error.value) == (
        f"the prediction folder of M ({pred}): 2 of 3 GT maps have no prediction: b, c; "
        'use on_missing="skip" to evaluate the others')
    pairing = pair_folders(gt, pred, on_missing="skip")
    assert pairing.missing == ["b", "c"] and len(pairing.pairs) == 1
    assert pairing.notes() == ["2 GT maps without prediction were skipped: b, c"]


def test_duplicates_strict_and_skipped(tmp_path):
    gt = _touch(tmp_path / "gt", "In_1.png", "In_2.png")
    pred = _touch(tmp_path / "pred", "In_1.png", "In_1.jpg", "In_2.png")
    with pytest.raises(SodbenchError, match=r"2 files share the name 'In_1': .*In_1.jpg, "
                                            r".*In_1.png; remove one or use on_missing=\"skip\"$"):
        pair_folders(gt, pred)
    pairing = pair_folders(gt, pred, on_missing="skip")
    assert pairing.duplicates == ["In_1"] and [p[0] for p in pairing.pairs] == ["In_2"]
    _touch(gt, "In_2.bmp")
    with pytest.raises(SodbenchError, match=r"^the GT folder .*share the name 'In_2'"):
        pair_folders(gt, pred)


def test_extra_predictions_are_reported_not_fatal(tmp_path):
    gt = _touch(tmp_path / "gt", "a.png")
    pred = _touch(tmp_path / "pred", "a.png", "z.png", "y.png")
    pairing = pair_folders(gt, pred)
    assert pairing.extra == ["y", "z"]
    assert pairing.notes() == ["2 predictions have no GT and were ignored: y, z"]


def test_folder_errors(tmp_path):
    with pytest.raises(SodbenchError, match=r"^the folder .*nope: no such folder$"):
        list_maps(tmp_path / "nope")
    with pytest.raises(SodbenchError, match=r"^the GT folder .*nope: no such folder$"):
        list_maps(tmp_path / "nope", what=f"the GT folder {tmp_path / 'nope'}")
    _touch(tmp_path / "empty", "readme.txt")
    with pytest.raises(SodbenchError, match=r"empty: no maps \(.png .jpg"):
        list_maps(tmp_path / "empty")
    gt = _touch(tmp_path / "gt", "a.png")
    pred = _touch(tmp_path / "pred", "b.png")
    with pytest.raises(SodbenchError, match=r"no prediction name matches a GT name .*'a'.*'b'.*"
                                            r"check the name rules \(gt_prefix, gt_suffix, "
                                            r"pred_prefix, pred_suffix\)$"):
        pair_folders(gt, pred)
    with pytest.raises(SodbenchError, match=r"^on_missing='maybe': choose one of error, skip$"):
        pair_folders(gt, pred, on_missing="maybe")


def test_natural_key():
    assert sorted(["In_10", "In_9", "Pa_1", "In_1"], key=natural_key) == [
        "In_1", "In_9", "In_10", "Pa_1"]
