import numpy as np
import pytest

from sodbench.errors import SodbenchError
from sodbench.metrics.validate import binarize_gt, im2double, minmax, prepare


def test_im2double_rules():
    assert im2double(np.array([[0, 255]], np.uint8)).tolist() == [[[0.0, 1.0]]]
    assert im2double(np.array([[0, 65535]], np.uint16)).tolist() == [[[0.0, 1.0]]]
    assert im2double(np.array([[False, True]])).tolist() == [[[0.0, 1.0]]]
    assert im2double(np.array([[0.25]], np.float32)).dtype == np.float64


def test_gt_rules_agree_across_dtypes():
    levels = np.arange(256, dtype=np.uint8)[None]
    expected = levels > 128
    assert (binarize_gt(levels)[0] == expected).all()
    assert (binarize_gt(levels.astype(np.uint16) * 257)[0] == expected).all()
    assert (binarize_gt(levels / 255)[0] == expected).all()


@pytest.mark.parametrize(
    "pred, message",
    [
        (
            np.full((4, 4), 255.0),
            "prediction is float with values up to 255.0: pass uint8, or divide by 255",
        ),
        (np.full((4, 4), -0.5), "prediction is float with values down to -0.5"),
        (np.full((4, 4), np.nan), "prediction contains NaN or inf values"),
        (np.zeros((4, 4), np.int32), "prediction has dtype int32"),
        (np.zeros((2, 4, 4, 3), np.uint8), "prediction must be H x W, or N x H x W with batch"),
    ],
)
def test_invalid_predictions(pred, message):
    with pytest.raises(SodbenchError) as error:
        prepare(pred, np.zeros(pred.shape[:3] if pred.ndim == 4 else pred.shape, np.uint8))
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_float_gt_on_0_255_is_refused():
    with pytest.raises(SodbenchError, match="ground truth is float with values up to 255.0"):
        prepare(np.zeros((4, 4)), np.full((4, 4), 255.0))


def test_integer_zero_one_gt_is_refused():
    gt = np.zeros((4, 4), np.uint8)
    gt[1, 1] = 1
    with pytest.raises(SodbenchError, match=r"ground truth is uint8 with values in \{0, 1\}"):
        prepare(np.zeros((4, 4), np.uint8), gt)
    assert not binarize_gt(np.zeros((4, 4), np.uint8)).any()  # an empty 0..255 mask is fine


def test_one_zero_one_mask_in_a_batch_is_refused():
    batch = np.zeros((3, 4, 4), np.uint8)
    batch[0, 0, 0] = 255
    batch[2, 1, 1] = 1
    with pytest.raises(SodbenchError, match=r"values in \{0, 1\} \(image 2 of the batch\)"):
        binarize_gt(batch, batch=True)


def test_shape_mismatch():
    with pytest.raises(SodbenchError, match=r"prediction shape \(1, 4, 4\) differs"):
        prepare(np.zeros((4, 4), np.uint8), np.zeros((4, 5), np.uint8))


def test_minmax_keeps_constant_maps_and_matches_reference_order():
    maps = np.stack([np.full((3, 3), 0.5), np.linspace(0.2, 0.6, 9).reshape(3, 3)])
    out = minmax(maps)
    assert (out[0] == 0.5).all()
    expected = (maps[1] - maps[1].min()) / (maps[1].max() - maps[1].min())
    assert (out[1] == expected).all()
