"""Multi-scale IoU (Ahmadzadeh, Kempton, Chen and Angryk, "Multiscale IOU: A Metric for
Evaluation of Salient Object Detection with Fine Structures", ICIP 2021), as PySODMetrics 1.6.2
``MSIoU`` (py_sod_metrics/multiscale_iou.py, ``num_levels=10``).

Per binary prediction B and GT G: the edge maps are where the Sobel gradient of the 0/1 mask
(zero padding) is non-zero; at the cell sizes c = 1, 2, 4, ..., 512 each edge map is
box-counted (a cell is on if it holds an edge pixel; the grid is padded on the top and left to
a multiple of c); ``r_c = (|E_B,c & E_G,c| + 1) / (|E_G,c| + 1)`` and MSIoU is the trapezoid
area under the 10 ratios with ``dx = 1/9``. The curve scores the 257 masks
``trunc(255 P) >= t``, t = 0..256, of the min-max map P.

The reference computes one float Sobel and one box-counting pass per mask (up to 257 per
image). Here all the masks of an image are scored at once: only the thresholds 0 and v + 1
of its levels v give distinct masks, and bit j of a pixel's word (8 to 64 bits; up to four
64-bit words for 256 masks) is the pixel in mask j. One pass of bitwise logic gives the edge
maps of all masks (:func:`_edges`; the Sobel sum of a 0/1 mask is zero only in the few sign
patterns listed there), each coarser grid is the OR of 2 x 2 cells of the finer one
(:func:`_grids`), and the edge cells on the GT's edge cells are counted per bit. The ratios
are formed and integrated with the reference's float operations, so the values are equal to
the last bit.
"""

from __future__ import annotations

import itertools

import numpy as np

from sodbench.metrics.batch import Batch
from sodbench.metrics.counts import uint8_levels
from sodbench.metrics.keys import curve_key

__all__ = ["CELL_SIZES", "CURVE_LENGTH", "evaluate", "msiou_curve", "multiscale_iou"]

#: Box-counting cell sizes of PySODMetrics' ``num_levels=10``: 1, 2, 4, ..., 512.
CELL_SIZES = 2 ** np.arange(10)
#: Points of the curve: thresholds 0..256 on the uint8 levels (PySODMetrics' order).
CURVE_LENGTH = 257
BINARY_THRESHOLD = 0.5
_DX = 1 / (len(CELL_SIZES) - 1)
_WORD_BITS = (8, 16, 32, 64)
_THRESHOLDS = np.arange(CURVE_LENGTH)


def multiscale_iou(mask, gt, *, batch: bool = False) -> np.ndarray:
    """Per-image MSIoU of a binary prediction mask.

    Parameters
    ----------
    mask : array_like of bool, (H, W), or (N, H, W) with ``batch=True``
        Binary prediction (non-zero is foreground).
    gt : array_like, same shape
        Ground truth mask (uint8 is foreground above 128, as everywhere in sodbench).
    batch : bool
        True: a 3-D array is an N x H x W batch; see docs/metrics.md, "Input rules".

    Returns
    -------
    numpy.ndarray, (N,)
        In (0, 1]. The denominators count GT edge cells only: an empty GT scores 1 whatever
        the prediction (every ratio is 1/1), an empty prediction ``sum_c 1 / (|E_G,c| + 1)``
        under the trapezoid.

    Examples
    --------
    >>> import numpy as np
    >>> gt = np.zeros((8, 8), bool)
    >>> gt[2:6, 2:6] = True
    >>> multiscale_iou(gt, gt)
    array([1.])
    >>> multiscale_iou(np.zeros((8, 8), bool), gt).round(6)
    array([0.391553])
    """
    checked = Batch.of(np.asarray(mask).astype(bool), gt, batch=batch)
    return _scores(checked, {"mask": checked.pred}, curve=False)["mask"]


def msiou_curve(pred, gt, *, batch: bool = False) -> np.ndarray:
    """Per-image MSIoU at the 257 thresholds of PySODMetrics: ``trunc(255 P) >= t``, t = 0..256.

    Parameters
    ----------
    pred : array_like, (H, W), or (N, H, W) with ``batch=True``
        Map: uint8 (divided by 255), bool or float in [0, 1]; min-max normalised first, as
        PySODMetrics does (a constant map is kept as is).
    gt : array_like, same shape
        Ground truth mask.
    batch : bool
        True: a 3-D array is an N x H x W batch.

    Returns
    -------
    numpy.ndarray, (N, 257)
        Column t is threshold t (ascending, PySODMetrics' order): column 0 scores the full
        mask, column 256 the empty one. ``maxMSIoU`` / ``meanMSIoU`` are the max / mean of the
        dataset's mean curve.

    Examples
    --------
    >>> import numpy as np
    >>> gt = np.zeros((8, 8), bool)
    >>> gt[2:6, 2:6] = True
    >>> curve = msiou_curve(gt.astype(np.uint8) * 255, gt)
    >>> curve.shape, float(curve[0, 0].round(6)), float(curve[0, 1]), float(curve[0, 256].round(6))
    ((1, 257), 0.919984, 1.0, 0.391553)
    """
    return _scores(Batch.of(pred, gt, batch=batch), {}, curve=True)[curve_key("MSIoU")]


def evaluate(batch: Batch, conventions, keys, executor=None) -> dict:
    """The MSIoU curve, ``adpMSIoU`` and ``binMSIoU`` asked for in ``keys``.

    Always PySODMetrics' choices (min-max map, uint8 levels for the curve), whatever the
    ``conventions``: MSIoU has no other reference implementation.
    """
    masks = {}
    if "adpMSIoU" in keys:
        masks["adpMSIoU"] = _binary_masks(batch, batch.adaptive_threshold("normalised"),
                                          strict=False)
    if "binMSIoU" in keys:
        masks["binMSIoU"] = _binary_masks(batch, BINARY_THRESHOLD, strict=True)
    curve = curve_key("MSIoU") in keys
    return _scores(batch, masks, curve=curve) if masks or curve else {}


def _scores(batch: Batch, masks: dict[str, np.ndarray], *, curve: bool) -> dict:
    """Per image, the MSIoU of each of ``masks`` (name -> N x H x W bool) and, if ``curve``,
    the curve: one pass per image scores the GT, these masks and every distinct curve mask
    (:func:`_image_hits`)."""
    out = {name: np.empty(len(batch)) for name in masks}
    if curve:
        out[curve_key("MSIoU")] = np.empty((len(batch), CURVE_LENGTH))
    scratch = _Scratch()
    for index in range(len(batch)):
        levels, breaks = _levels(batch, index) if curve else (None, np.zeros(0, np.intp))
        hits = _image_hits(batch.mask[index], [mask[index] for mask in masks.values()],
                           levels, breaks, scratch)
        # PySODMetrics sums its float16 edge maps in float16: float16(float16(count) + 1)
        with np.errstate(over="ignore"):
            denominator = (hits[0].astype(np.float16) + np.float16(1)).astype(np.float64)
        scores = _area((hits + 1) / denominator)
        for position, name in enumerate(masks, start=1):
            out[name][index] = scores[position]
        if curve:
            out[curve_key("MSIoU")][index] = _curve(scores[1 + len(masks):], breaks,
                                                    int(levels.max()), denominator)
    return out


def _levels(batch: Batch, index: int) -> tuple[np.ndarray, np.ndarray]:
    """PySODMetrics' ``(P * 255).astype(np.uint8)`` of image ``index`` (H x W), and the
    thresholds of its distinct non-empty masks ``levels >= t``: 0 and v + 1 for each level v
    but the largest (PySODMetrics repeats the previous value where t changes nothing: the
    same number)."""
    if batch.has_levels:
        levels = uint8_levels(batch.table("normalised")[index]).take(batch.pred[index])
    else:
        levels = uint8_levels(batch.map("normalised")[index])
    values = np.flatnonzero(np.bincount(levels.ravel(), minlength=256))
    return levels, np.concatenate([[0], values[:-1] + 1])


def _curve(scores: np.ndarray, breaks: np.ndarray, top: int, denominator: np.ndarray
           ) -> np.ndarray:
    """The 257 curve values from the scores of the masks at ``breaks``: threshold t takes the
    mask of the last break <= t; above the largest level ``top`` the mask is empty."""
    which = np.searchsorted(breaks, _THRESHOLDS, side="right") - 1
    empty = _area(1 / denominator)  # (0 + 1) / denominator, as the reference
    return np.where(_THRESHOLDS <= top, scores[which], empty)


def _binary_masks(batch: Batch, threshold, *, strict: bool) -> np.ndarray:
    """``P >= threshold`` (``>`` if strict) on the min-max map, (N, H, W) bool."""
    threshold = np.broadcast_to(np.asarray(threshold, dtype=np.float64), (len(batch),))
    if batch.has_levels:
        table, cut = batch.table("normalised"), threshold[:, None]
        positive = table > cut if strict else table >= cut
        return np.stack([positive[index].take(batch.pred[index]) for index in range(len(batch))])
    values, cut = batch.map("normalised"), threshold[:, None, None]
    return values > cut if strict else values >= cut


def _image_hits(gt: np.ndarray, masks: list[np.ndarray], levels: np.ndarray | None,
                breaks: np.ndarray, scratch: _Scratch) -> np.ndarray:
    """Per cell size (columns), the GT edge cells that hold an edge of: the GT itself (row 0:
    the GT edge cell count), each of ``masks`` (H x W bool, at most 7), and ``levels >= t`` for
    each t of ``breaks`` (ascending), (1 + len(masks) + len(breaks), 10).

    Bit j of a pixel's word is the pixel in mask j of that list: words of 8 to 64 bits (the
    fewest bytes that hold all the masks; 64-bit words for more than 64 masks), one word at a
    time; the curve masks come from a table by level (:func:`_prefix_table`). The image is
    scored in tiles of the 512-pixel grid (:func:`_tiles`), whose cells at every size lie
    within one tile, so the counts add up and the work arrays stay small.
    """
    first = 1 + len(masks)  # bit of the first curve mask
    bits = next((size for size in _WORD_BITS if size >= first + len(breaks)), _WORD_BITS[-1])
    table = _prefix_table(breaks, bits, first)
    height, width = gt.shape
    index = np.zeros((height + 2, width + 2), np.uint16)  # column of the table; 0 outside
    if levels is not None:
        np.add(levels, 1, out=index[1:-1, 1:-1], dtype=np.uint16)  # level v: column v + 1
    pixel = np.zeros((height + 2, width + 2), np.uint8)  # the GT and mask bits
    inner = pixel[1:-1, 1:-1]
    np.bitwise_or(inner, gt, out=inner)
    for bit, mask in enumerate(masks, start=1):
        inner |= mask.view(np.uint8) << bit
    hits = np.zeros((len(table) * bits, len(CELL_SIZES)), np.int64)
    for rows in _tiles(height):
        for cols in _tiles(width):
            _tile_hits(hits, index, pixel, levels, breaks, table, first, (rows, cols), scratch)
    return hits[:first + len(breaks)]


def _tiles(length: int) -> list[tuple[int, int]]:
    """[start, stop) of the tiles of an axis: PySODMetrics pads the top (left) of the image to
    a multiple of the cell size, so the cells of size 512 (and of every smaller size, all
    powers of 2) start at multiples of 512 minus that padding."""
    cuts = [0, *range(length % 512 or 512, length, 512), length]
    return list(itertools.pairwise(cuts))


def _tile_hits(hits: np.ndarray, index: np.ndarray, pixel: np.ndarray,
               levels: np.ndarray | None, breaks: np.ndarray, table: np.ndarray, first: int,
               tile: tuple[tuple[int, int], tuple[int, int]], scratch: _Scratch) -> None:
    """Add the counts of one tile to ``hits``, word by word (see :func:`_image_hits`).

    Word w > 0 holds curve masks only, zero at the pixels below its first threshold and in the
    padding: its edges lie within one pixel of the pixels that reach it, so only their box
    (grown by one, within the tile) is computed.
    """
    (top, bottom), (left, right) = tile
    bits = table.dtype.itemsize * 8
    gt_grids: list[np.ndarray] = []
    for word, row in enumerate(table):
        box = (top, bottom, left, right)
        if word:
            box = _box(levels, breaks[word * bits - first], box)
            if box is None:
                continue  # no pixel near the tile reaches these thresholds: no edges
        up, down, start, stop = box
        crop = (slice(up, down + 2), slice(start, stop + 2))  # with the neighbours
        values = np.take(row, index[crop], mode="clip",
                         out=scratch.get("words", (down - up + 2, stop - start + 2), row.dtype))
        if not word:
            values |= pixel[crop]
        edges = _edges(values, scratch)
        if (down - up, stop - start) != (bottom - top, right - left):
            full = scratch.get("full", (bottom - top, right - left), edges.dtype)
            full.fill(0)
            full[up - top:down - top, start - left:stop - left] = edges
            edges = full
        grids = _grids(edges)
        if not word:
            gt_grids = [(grid & 1).astype(bool) for grid in grids]
        for level, (grid, cells) in enumerate(zip(grids, gt_grids, strict=True)):
            on = grid[cells]
            if on.size:
                unpacked = np.unpackbits(_little_bytes(on), axis=1, bitorder="little")
                hits[word * bits:(word + 1) * bits, level] += unpacked.sum(axis=0, dtype=np.int64)


def _prefix_table(breaks: np.ndarray, bits: int, first: int) -> np.ndarray:
    """(words, 257) unsigned ints of ``bits`` bits: column v + 1 holds, for v = -1 (outside
    the image) .. 255, the curve masks that contain a pixel of level v (``breaks[j] <= v``)
    as bit ``(first + j) % bits`` of word ``(first + j) // bits``; bits below ``first`` are 0."""
    words = -(-(first + len(breaks)) // bits)
    below = np.zeros((257, words * bits), bool)
    below[:, first:first + len(breaks)] = breaks[None, :] <= np.arange(-1, 256)[:, None]
    packed = np.packbits(below, axis=1, bitorder="little")  # bytes, least significant first
    dtype = np.dtype(f"uint{bits}")
    return np.ascontiguousarray(packed.view(dtype.newbyteorder("<")).astype(dtype).T)


class _Scratch:
    """Work arrays reused from call to call: a fresh array of a few hundred kB is mapped anew
    by the allocator, and its page faults cost more than the bitwise operation itself."""

    def __init__(self):
        self._arrays: dict = {}

    def get(self, name: str, shape: tuple[int, ...], dtype) -> np.ndarray:
        array = self._arrays.get(name)
        if array is None or array.shape != shape or array.dtype != dtype:
            array = self._arrays[name] = np.empty(shape, dtype)
        return array


def _edges(padded: np.ndarray, scratch: _Scratch) -> np.ndarray:
    """Where either Sobel derivative of the padded mask is non-zero, (..., H, W).

    ``padded`` holds unsigned words whose every bit is one mask (bool masks work as well):
    the bitwise logic serves all the bits at once. With ``d = B[i + 1, j'] - B[i - 1, j']`` in
    {-1, 0, 1} at columns j' = j - 1, j, j + 1, the derivative ``d_l + 2 d_c + d_r`` is zero iff
    all three are zero, or ``d_c = 0`` and ``d_l = -d_r``, or ``d_l = d_r = -d_c`` (likewise across
    rows). Exact: the Sobel sums of a 0/1 image are small integers, so PySODMetrics'
    ``hypot(sx, sy) > 0`` is ``sx != 0 or sy != 0``.

    The image is processed flat (row stride ``W + 2``): every operand is a contiguous slice,
    about five times faster than 2-D views; the padding columns get values that are dropped.
    The result is a view of a ``scratch`` array (valid until its next use).
    """
    *lead, rows, cols = padded.shape
    size = rows * cols
    flat = padded.reshape(*lead, size)
    full = scratch.get("edges", flat.shape, flat.dtype)
    edges = full[..., cols + 1:size - cols - 1]
    # derivative across rows (pixel q: q + cols vs q - cols), smoothed along the row (q -+ 1)
    _derivative_nonzero(flat[..., 2 * cols:], flat[..., :size - 2 * cols], 1, edges, scratch)
    # derivative along the row (q + 1 vs q - 1), smoothed across rows (q -+ cols)
    other = scratch.get("other", edges.shape, edges.dtype)
    _derivative_nonzero(flat[..., 2:], flat[..., :size - 2], cols, other, scratch)
    edges |= other
    return full.reshape(padded.shape)[..., 1:-1, 1:-1]


def _derivative_nonzero(after: np.ndarray, before: np.ndarray, step: int, out: np.ndarray,
                        scratch: _Scratch) -> None:
    """Flat: ``after - before`` smoothed by (1, 2, 1) with neighbours ``step`` apart is
    non-zero, into ``out``; element k of ``out`` is centred on element ``k + step`` of the
    operands."""
    pos = np.invert(before, out=scratch.get("pos", before.shape, before.dtype))
    pos &= after
    neg = np.invert(after, out=scratch.get("neg", after.shape, after.dtype))
    neg &= before
    length = out.shape[-1]
    pl, pc, pr = (pos[..., start:start + length] for start in (0, step, 2 * step))
    nl, nc, nr = (neg[..., start:start + length] for start in (0, step, 2 * step))
    first = scratch.get("first", out.shape, out.dtype)
    second = scratch.get("second", out.shape, out.dtype)
    # d_c = 0: non-zero unless d_l = -d_r
    np.bitwise_xor(pl, nr, out=first)
    first |= np.bitwise_xor(nl, pr, out=second)
    first &= np.invert(np.bitwise_or(pc, nc, out=second), out=second)
    # d_c = +1 unless d_l = d_r = -1; d_c = -1 unless d_l = d_r = +1
    np.invert(np.bitwise_and(nl, nr, out=out), out=out)
    out &= pc
    out |= first
    np.invert(np.bitwise_and(pl, pr, out=first), out=first)
    first &= nc
    out |= first


def _grids(edges: np.ndarray) -> list[np.ndarray]:
    """Box-counting of ``edges`` (..., H, W) at :data:`CELL_SIZES`: finest first.

    PySODMetrics pads the image on the top and left to a multiple of the cell size. The grid of
    cell 2c is the OR over 2 x 2 cells of the grid of cell c once that grid is padded by one
    empty row (column) on top (left) when its height (width) is odd: the padding of 2c is that
    of c, or c more.
    """
    grids = [edges]
    for _ in CELL_SIZES[1:]:
        grid = grids[-1]
        height, width = grid.shape[-2:]
        if height % 2 or width % 2:
            padded = np.zeros(grid.shape[:-2] + (height + height % 2, width + width % 2),
                              grid.dtype)
            padded[..., height % 2:, width % 2:] = grid
            grid = padded
        rows = grid[..., ::2, :] | grid[..., 1::2, :]
        grids.append(rows[..., ::2] | rows[..., 1::2])
    return grids


def _area(ratios: np.ndarray) -> np.ndarray:
    """``np.trapz(ratios, dx=1/9)`` along the last axis, with the reference's float operations."""
    return (_DX * (ratios[..., 1:] + ratios[..., :-1]) / 2.0).sum(axis=-1)


def _box(levels: np.ndarray, threshold: int, tile: tuple[int, int, int, int]
         ) -> tuple[int, int, int, int] | None:
    """The pixels of ``tile`` (top, bottom, left, right) within one pixel of a pixel at
    ``threshold`` or above (in the tile or next to it), as a box in the same form; None if
    there are none."""
    top, bottom, left, right = tile
    up, left_near = max(top - 1, 0), max(left - 1, 0)
    active = levels[up:bottom + 1, left_near:right + 1] >= threshold
    rows = np.flatnonzero(active.any(axis=1))
    if not len(rows):
        return None
    cols = np.flatnonzero(active.any(axis=0))
    box = (max(up + rows[0] - 1, top), min(up + rows[-1] + 2, bottom),
           max(left_near + cols[0] - 1, left), min(left_near + cols[-1] + 2, right))
    return box if box[0] < box[1] and box[2] < box[3] else None


def _little_bytes(words: np.ndarray) -> np.ndarray:
    """(n, bytes) bytes of n unsigned words, least significant first."""
    size = words.dtype.itemsize
    return words.astype(words.dtype.newbyteorder("<"), copy=False).view(np.uint8).reshape(
        -1, size)
