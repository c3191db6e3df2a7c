"""CM and CCM against PySODMetrics 1.6.2 ``ContextMeasure`` / ``CamouflageContextMeasure``.

PSM filters the GT in float32 (``cv2.filter2D(..., cv2.CV_32F, ...)``), sodbench in float64:
per image the two differ by at most BOUND (measured: 4.9e-8 on all 320 random pairs, 7.4e-8
on 270 SD-900 pairs; < 1e-6 by construction, docs/metrics/context.md). With PSM's float32
filter put back, the rest agrees to 1e-12, and the camouflage degree is PSM's bit for bit.
"""

import sys
import warnings

import numpy as np
import pytest
from cases import random_pairs
from PIL import Image
from scipy import ndimage

from sodbench import Evaluator
from sodbench.errors import SodbenchError
from sodbench.metrics._context import (
    camouflage_context_measure,
    camouflage_degree,
    context_kernel,
    context_measure,
    ground_context,
    score,
)
from sodbench.metrics.validate import im2double, minmax

cv2 = pytest.importorskip("cv2")
context_module = pytest.importorskip("py_sod_metrics.context_measure")
ContextMeasure = context_module.ContextMeasure
CamouflageContextMeasure = context_module.CamouflageContextMeasure

BOUND = 2e-7
"""Per-image |sodbench - PSM| allowed: PSM's float32 filtering of the GT."""


def scene(mask: np.ndarray, seed: int, style: str) -> np.ndarray:
    """A seeded RGB image: a smooth colour texture, the object drawn from the same texture
    statistics (``camouflaged``), in the opposite colour (``contrasted``), or grey levels."""
    rng = np.random.default_rng(seed)

    def texture(mean, spread):
        field = np.stack([ndimage.gaussian_filter(rng.normal(size=mask.shape), 2)
                          for _ in range(3)], axis=-1)
        return mean + spread * field / (field.std() + 1e-12)

    background = texture(rng.uniform(60, 190, 3), rng.uniform(5, 30))
    if style == "camouflaged":
        fg = texture(background.mean(axis=(0, 1)) + rng.normal(0, 3, 3), rng.uniform(5, 30))
    elif style == "contrasted":
        fg = texture(255 - background.mean(axis=(0, 1)), 10)
    else:  # grey, as SD-900's images
        background = background.mean(axis=-1, keepdims=True).repeat(3, axis=-1)
        fg = background + 25
    image = np.where(mask[..., None], fg, background)
    return np.clip(image, 0, 255).round().astype(np.uint8)


STYLES = ("camouflaged", "contrasted", "grey")


def psm_cm(pred_u8, gt_u8) -> float:
    metric = ContextMeasure()
    metric.step(pred_u8, gt_u8)
    return float(metric.get_results()["cm"])


def psm_ccm(pred_u8, gt_u8, image) -> float:
    metric = CamouflageContextMeasure()
    metric.step(pred_u8, gt_u8, img=image)
    return float(metric.get_results()["ccm"])


@pytest.fixture(scope="module")
def cases():
    """The first 40 random pairs (every kind at every size, 9 x 13 included), each with a
    synthetic image, and PSM's CM and CCM: list of (kind, pred, gt, image, cm, ccm)."""
    out = []
    for index, (kind, pred, gt) in enumerate(random_pairs(40)):
        image = scene(gt > 128, index, STYLES[index % 3])
        out.append((kind, pred, gt, image, psm_cm(pred, gt), psm_ccm(pred, gt, image)))
    return out


def normalised(pred_u8: np.ndarray) -> np.ndarray:
    return minmax(im2double(pred_u8, batch=False))[0]


def test_cases_cover_every_kind_and_size(cases):
    assert {kind for kind, *_ in cases} == {"blob", "scratch", "empty", "full", "constant",
                                            "narrow_range", "binary", "last_column"}
    assert {pred.shape for _, pred, *_ in cases} >= {(200, 200), (9, 13), (31, 57)}


def test_matches_pysodmetrics_per_image(cases):
    for kind, pred, gt, image, cm, ccm in cases:
        p = normalised(pred)
        assert abs(context_measure(p, gt)[0] - cm) <= BOUND, (kind, pred.shape)
        assert abs(camouflage_context_measure(p, gt, image)[0] - ccm) <= BOUND, (kind, pred.shape)


def test_float32_filter_is_the_only_difference(cases):
    """With PSM's float32 ``K * G`` in place of the float64 one, CM and CCM agree to 1e-12."""
    for kind, pred, gt, image, cm, ccm in cases:
        mask = gt > 128
        ground = ground_context(mask)
        if ground.relevance is not None:
            float32 = cv2.filter2D(mask.astype(np.float32), cv2.CV_32F, ground.kernel)
            ground = ground._replace(relevance=float32[ground.near].astype(np.float64))
        p = normalised(pred)
        assert score(p, ground) == pytest.approx(cm, abs=1e-12), kind
        cd = camouflage_degree(image, mask)[mask]
        assert score(p, ground, cd, beta2=1.2) == pytest.approx(ccm, abs=1e-12), kind


def test_camouflage_degree_is_pysodmetrics_bit_for_bit(cases):
    reference = CamouflageContextMeasure()
    for kind, _, gt, image, *_ in cases:
        mask = gt > 128
        _, expected = reference._calculate_camouflage_degree(image, mask.astype(np.float64))
        np.testing.assert_array_equal(camouflage_degree(image, mask), expected, err_msg=kind)


def test_camouflaged_objects_score_a_higher_degree():
    mask = np.zeros((80, 90), bool)
    mask[20:55, 25:70] = True
    hidden = camouflage_degree(scene(mask, 1, "camouflaged"), mask)[mask].mean()
    shown = camouflage_degree(scene(mask, 1, "contrasted"), mask)[mask].mean()
    assert hidden > 0.3 > 0.05 > shown


def test_kernel_matches_pysodmetrics(cases):
    reference = ContextMeasure()
    for kind, _, gt, *_ in cases:
        cov, half_r, half_c = reference._compute_y_params((gt > 128).astype(np.float64))
        expected = reference._gaussian_kernel(half_r, half_c, cov)
        np.testing.assert_allclose(context_kernel(gt > 128), expected, atol=1e-12, rtol=0,
                                   err_msg=kind)


def _edge_cases() -> dict:
    rng = np.random.default_rng(7)
    pred = (ndimage.gaussian_filter(rng.random((48, 64)), 2) * 255).astype(np.uint8)
    pred = ((pred - pred.min()) * (255 / max(np.ptp(pred), 1))).astype(np.uint8)
    cases = {}

    def add(name, mask, prediction=pred):
        cases[name] = (prediction, mask.astype(np.uint8) * 255)

    mask = np.zeros((48, 64), bool)
    add("empty GT", mask)
    add("full GT", ~mask)
    blob = mask.copy()
    blob[10:30, 15:45] = True
    add("constant prediction", blob, np.full((48, 64), 77, np.uint8))
    add("zero prediction", blob, np.zeros((48, 64), np.uint8))
    one = mask.copy()
    one[20, 30] = True
    add("one-pixel GT", one)  # at most one point: covariance 0.25 I, 3 x 3 kernel
    corner = mask.copy()
    corner[0, 0] = True
    add("one pixel in the corner", corner)
    border = mask.copy()
    border[:, :9] = True
    border[40:, :] = True
    add("object on two borders", border)
    row = mask.copy()
    row[47, 5:60] = True
    add("one-row object on the border", row)  # zero row variance: EPS
    column = mask.copy()
    column[3:40, 63] = True
    add("one-column object on the border", column)
    thin = mask.copy()
    thin[10:30, 20:25] = True
    add("object thinner than a patch", thin)  # CD = 0: no 7 x 7 patch inside the GT
    margin = ~mask
    margin[:, 60:] = False
    add("background thinner than a patch", margin)  # CD = 0: no patch in the ring
    for height, width in ((3, 11), (15, 17)):  # 3 sigma exactly a half-integer
        box = mask.copy()
        box[5:5 + height, 30:30 + width] = True
        add(f"{height} x {width} box", box)
    return cases


EDGE_CASES = _edge_cases()


@pytest.mark.parametrize("name", list(EDGE_CASES))
def test_edge_cases_match_pysodmetrics(name):
    pred, gt = EDGE_CASES[name]
    image = scene(gt > 128, 3, "camouflaged")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        cm, ccm = psm_cm(pred, gt), psm_ccm(pred, gt, image)
    assert abs(context_measure(normalised(pred), gt)[0] - cm) <= BOUND
    assert abs(camouflage_context_measure(normalised(pred), gt, image)[0] - ccm) <= BOUND


def test_edge_case_values():
    pred, gt = EDGE_CASES["empty GT"]
    assert context_measure(normalised(pred), gt)[0] == 0.0
    pred, gt = EDGE_CASES["zero prediction"]
    assert context_measure(normalised(pred), gt)[0] == 0.0
    for name in ("object thinner than a patch", "background thinner than a patch"):
        pred, gt = EDGE_CASES[name]
        image = scene(gt > 128, 3, "camouflaged")
        assert not camouflage_degree(image, gt > 128).any(), name
        # CD = 0: CCM is CM with CCM's beta^2
        assert camouflage_context_measure(normalised(pred), gt, image)[0] == pytest.approx(
            context_measure(normalised(pred), gt, beta2=1.2)[0], abs=1e-15)


def test_slanted_line_gt_uses_the_limit_kernel():
    """Points on one diagonal: PSM's covariance is singular (``LinAlgError``); sodbench uses
    the 1-D Gaussian of variance alpha^2 along the line, which this test builds by hand and
    hands to PSM's own scoring."""
    mask = np.zeros((30, 40), bool)
    mask[np.arange(5, 20), np.arange(12, 27)] = True
    pred = ndimage.gaussian_filter(mask.astype(float), 1.5)
    pred /= pred.max()
    with pytest.raises(np.linalg.LinAlgError):
        psm_cm(np.round(pred * 255).astype(np.uint8), mask.astype(np.uint8) * 255)
    half = round(3 * 6 / np.sqrt(2))
    k = np.arange(-half, half + 1)
    expected_kernel = np.diag(np.exp(-0.5 * 2 * k * k / 36))
    expected_kernel /= expected_kernel.sum()
    np.testing.assert_allclose(context_kernel(mask), expected_kernel, atol=1e-15, rtol=0)
    reference = ContextMeasure()
    reference._compute_y_params = lambda gt: (None, half, half)
    reference._gaussian_kernel = lambda *args: expected_kernel
    expected = reference.compute(pred, mask.astype(np.float64), np.zeros(mask.shape))
    assert context_measure(pred, mask)[0] == pytest.approx(expected, abs=BOUND)
    anti = mask[:, ::-1]  # slope -1
    np.testing.assert_allclose(context_kernel(anti), expected_kernel[:, ::-1], atol=1e-15)


def test_images_smaller_than_a_patch():
    """No 7 x 7 patch fits: CD = 0 (PSM fails on some of these sizes, e.g. 4 x 4)."""
    gt = np.zeros((4, 4), bool)
    gt[1:3, 1:3] = True
    image = np.full((4, 4, 3), 100, np.uint8)
    value = camouflage_context_measure(gt.astype(float), gt, image)[0]
    assert value == pytest.approx(context_measure(gt.astype(float), gt, beta2=1.2)[0], abs=0)


def test_evaluator_dataset_mean(cases):
    evaluator = Evaluator(metrics=["CM", "CCM"])
    for _, pred, gt, image, *_ in cases:
        evaluator.update(pred, gt, image=image)
    results, table = evaluator.compute(), evaluator.per_image()
    cm = np.array([case[4] for case in cases])
    ccm = np.array([case[5] for case in cases])
    np.testing.assert_allclose(table["CM"], cm, atol=BOUND, rtol=0)
    np.testing.assert_allclose(table["CCM"], ccm, atol=BOUND, rtol=0)
    assert results["CM"] == pytest.approx(cm.mean(), abs=BOUND)
    assert results["CCM"] == pytest.approx(ccm.mean(), abs=BOUND)


def test_batch_input_and_map_as_given(cases):
    """Public functions score the map as given (uint8 / 255, no min-max), batched or not."""
    picked = [case for case in cases if case[1].shape == (64, 48)][:4]
    pred = np.stack([case[1] for case in picked])
    gt = np.stack([case[2] for case in picked])
    images = np.stack([case[3] for case in picked])
    batched = camouflage_context_measure(pred, gt, images, batch=True)
    one = [camouflage_context_measure(p / 255, g, i)[0] for p, g, i in zip(pred, gt, images,
                                                                          strict=True)]
    np.testing.assert_array_equal(batched, one)
    raw = ContextMeasure()
    raw.step((pred[0] / 255).astype(np.float64), gt[0] > 128, normalize=False)
    assert context_measure(pred, gt, batch=True)[0] == pytest.approx(
        raw.get_results()["cm"], abs=BOUND)


def test_ccm_needs_the_image():
    gt = np.zeros((20, 20), bool)
    gt[5:15, 5:15] = True
    with pytest.raises(SodbenchError, match="CCM needs the RGB image"):
        camouflage_context_measure(gt.astype(float), gt, None)
    with pytest.raises(SodbenchError, match="CCM needs the RGB image"):
        Evaluator(metrics=["CCM"]).update(gt.astype(np.uint8) * 255, gt)


def test_missing_extra_is_a_one_line_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "cv2", None)  # ``import cv2`` now raises ImportError
    gt = np.zeros((20, 20), bool)
    gt[5:15, 5:15] = True
    image = np.zeros((20, 20, 3), np.uint8)
    for call, name in ((lambda: context_measure(gt.astype(float), gt), "CM"),
                       (lambda: camouflage_context_measure(gt.astype(float), gt, image), "CCM")):
        with pytest.raises(SodbenchError) as error:
            call()
        message = str(error.value)
        assert message == (f"{name} needs the cv extra: pip install 'sodbench[cv]' "
                           "(cannot import cv2: ModuleNotFoundError)")
    with pytest.raises(SodbenchError, match=r"^CM needs the cv extra: .*sodbench\[cv\]"):
        Evaluator(metrics=["CM"])  # refused before any pair is given


def test_matches_pysodmetrics_on_sd900(sd900):
    stems = [f"{kind}_{k}" for kind in ("In", "Pa", "Sc") for k in (1, 77, 150, 299)]
    preds, gts, images = [], [], []
    for stem in stems:
        (path,) = (sd900 / "pred" / "MCITF").glob(f"{stem}.*")
        preds.append(np.asarray(Image.open(path).convert("L")))
        gts.append(np.asarray(Image.open(sd900 / "GT" / f"{stem}.png").convert("L")))
        (image,) = (sd900 / "Img").glob(f"{stem}.*")
        images.append(np.asarray(Image.open(image).convert("RGB")))
    evaluator = Evaluator(metrics=["CM", "CCM"])
    evaluator.update(np.stack(preds), np.stack(gts), image=np.stack(images), names=stems,
                     batch=True)
    table = evaluator.per_image()
    for index, (pred, gt, image) in enumerate(zip(preds, gts, images, strict=True)):
        assert abs(table["CM"][index] - psm_cm(pred, gt)) <= BOUND, stems[index]
        assert abs(table["CCM"][index] - psm_ccm(pred, gt, image)) <= BOUND, stems[index]
