"""The Evaluator: accumulates per-image metric values over many pairs, ``update`` / ``compute``.

Its state is what :mod:`sodbench.metrics.engine` returns, added up: one list per per-image
key, running sums of the per-image curves and of the dataset-wide totals (pooled confusion
counts; so memory does not grow with image size). Curves are averaged per threshold and
``max*``/``mean*`` are taken on the mean curve, as PySODMetrics and Fan's toolbox do;
``pooled*``, ``odsF``, ``AP`` ... are made from the totals (docs/metrics.md, "Aggregation").
"""

from __future__ import annotations

import weakref
from concurrent.futures import Executor, ThreadPoolExecutor

import numpy as np

from sodbench.errors import SodbenchError
from sodbench.evaluator.buffer import Buffer
from sodbench.evaluator.pending import Pending, settled
from sodbench.evaluator.state import check_state, select_metrics, state_numbers, subset_state
from sodbench.evaluator.subsets import SEPARATOR, Subsets
from sodbench.metrics import engine, validate
from sodbench.metrics.batch import Batch
from sodbench.metrics.conventions import DEFAULT_CONVENTIONS, get_conventions
from sodbench.metrics.extras import reads_images, require_extra
from sodbench.metrics.groundtruth import GroundTruth
from sodbench.metrics.histogram import has_levels
from sodbench.metrics.keys import CURVE_LENGTHS, KEYS, PER_IMAGE_KEYS
from sodbench.workers import check_executor, worker_count

__all__ = ["CHUNK_PIXELS", "LEVEL_CHUNK_PIXELS", "SINGLE_IMAGE_PIXELS", "THREADED_KEYS",
           "Evaluator", "chunk_images"]

#: Float maps are scored in chunks of about this many pixels, so temporaries stay in cache.
#: Kept at 1 MiB of float64: with larger temporaries glibc hands memory back and forth to the
#: OS, and the page faults (450 per 200 x 200 pair at 1 << 18) cost more than the arithmetic.
CHUNK_PIXELS = 1 << 17
#: uint8/bool chunks: the histogram backend keeps few temporaries, and per-chunk work (a few
#: dozen small NumPy calls) is amortised over more images.
LEVEL_CHUNK_PIXELS = 1 << 20
#: Images of at least this many pixels are scored one per chunk, whatever their dtype.
SINGLE_IMAGE_PIXELS = LEVEL_CHUNK_PIXELS // 2 + 1
_E_KEYS = ("maxE", "meanE", "adpE")
#: Keys whose per-image work runs on the Evaluator's threads (or its executor), beside the
#: other metrics: each image's score is a Future until read.
THREADED_KEYS = ("wF", "HCE", "CM", "CCM")


def chunk_images(pred: np.ndarray) -> int:
    """Images per chunk of the metric engine for maps like ``pred`` (N x H x W): a run of
    same-size pairs is scored, and its curve sums added, in chunks of this many images.

    >>> chunk_images(np.zeros((1, 200, 200), np.uint8)), chunk_images(np.zeros((1, 200, 200)))
    (26, 3)
    """
    limit = LEVEL_CHUNK_PIXELS if has_levels(pred) else CHUNK_PIXELS
    return max(1, limit // pred[0].size)


class Evaluator:
    """Accumulate SOD metrics over prediction/GT pairs under one set of metric conventions.

    Parameters
    ----------
    conventions : str or sodbench.metrics.Conventions
        ``"pysodmetrics"`` (default), ``"minet-tii2024"`` or ``"matlab"``.
    metrics : iterable of str, optional
        Keys of :data:`sodbench.metrics.keys.METRIC_KEYS` and group names (``default``,
        ``pysodmetrics``, ``defect``, ``dis``, ``all``; docs/metrics.md). Default: the
        ``default`` group.
    threads : int, optional
        Threads for the per-image work of wF (its distance transforms), HCE, CM and CCM
        (:data:`THREADED_KEYS`), which runs beside the other metrics
        (default: every core this process may use; 1 computes everything in the caller's
        thread). The results do not depend on it.
    allow_emptied_gt : bool
        Score a GT image with non-zero pixels that the GT threshold empties (a uint8 {0, 128}
        mask, a uint16 {0, 255} one) as all background instead of refusing it.
    executor : concurrent.futures.Executor, optional
        Runs that work instead of the Evaluator's own threads (``threads`` is then unused).
    subsets : sodbench.evaluator.Subsets, optional
        Subsets scored besides the whole set (by image name and by GT object size): their
        curve sums and totals are kept beside the whole set's, and ``compute(subset=NAME)``
        gives a subset's scores (docs/subsets.md). Images need ``names=`` for name subsets.

    Examples
    --------
    >>> import numpy as np
    >>> evaluator = Evaluator(metrics=["MAE", "Sm", "maxF"])
    >>> gt = np.zeros((20, 20), np.uint8); gt[5:15, 5:15] = 255
    >>> evaluator.update(gt, gt)                            # one H x W pair (uint8 map)
    >>> evaluator.update(np.stack([gt, gt]), np.stack([gt, gt]), batch=True)  # N x H x W
    >>> scores = evaluator.compute()                        # {"MAE": ..., "curves": {...}}
    >>> scores["MAE"], round(scores["Sm"], 12), scores["maxF"], evaluator.n_images
    (0.0, 1.0, 1.0, 3)
    """

    def __init__(self, conventions=DEFAULT_CONVENTIONS, metrics=None, threads=None, *,
                 allow_emptied_gt: bool = False, executor: Executor | None = None,
                 subsets: Subsets | None = None):
        if subsets is not None and not isinstance(subsets, Subsets):
            raise SodbenchError(f"subsets={subsets!r}: pass a sodbench.evaluator.Subsets "
                                "(Subsets.build(...)) or None")
        self.subsets = subsets
        self.conventions = get_conventions(conventions)
        self.allow_emptied_gt = bool(allow_emptied_gt)
        self.metrics = select_metrics(metrics)
        require_extra(self.metrics)  # HCE, CM, CCM without OpenCV: refused before any pair
        self.threads = worker_count(threads, name="threads")
        self._executor = check_executor(executor)
        self._pool: ThreadPoolExecutor | None = None
        self.reset()

    def reset(self) -> None:
        """Forget every pair added so far (the settings stay)."""
        self._names: list[str] = []
        self._buffer = Buffer()
        self._scalars = {key: [] for key in PER_IMAGE_KEYS if key in self.metrics}
        self._curve_sums = {name: np.zeros(CURVE_LENGTHS[name])
                            for name in engine.curves_for(self.metrics)}
        self._totals = {name: np.zeros(shape)
                        for name, shape in engine.total_shapes(self.metrics).items()}
        self._pending = Pending()
        # per image, the subsets it is in; per subset, its own curve sums and totals
        self._memberships: list[tuple[str, ...]] = []
        self._subset_sums = {subset: self._empty_sums() for subset in self.subset_names}

    def _empty_sums(self) -> dict[str, np.ndarray]:
        return {**{name: np.zeros_like(total) for name, total in self._curve_sums.items()},
                **{name: np.zeros_like(total) for name, total in self._totals.items()}}

    @property
    def subset_names(self) -> tuple[str, ...]:
        """The subsets scored besides the whole set (none without ``subsets``)."""
        return () if self.subsets is None else self.subsets.names

    def subset_members(self) -> dict[str, tuple[str, ...]]:
        """Subset name -> the names of the pairs added so far that are in it, in order."""
        return {subset: tuple(name for name, member in zip(self._names, self._memberships,
                                                           strict=True) if subset in member)
                for subset in self.subset_names}

    @property
    def n_images(self) -> int:
        return len(self._names)

    @property
    def names(self) -> tuple[str, ...]:
        """The names of the pairs added so far, in order (the ``name`` column of
        :meth:`per_image`, without making the table)."""
        return tuple(self._names)

    def prepare(self, gt, *, batch: bool = False) -> GroundTruth:
        """``gt`` binarised, with its wF distance transforms made once for many ``update`` calls
        (several methods scored on one dataset); see :mod:`sodbench.metrics.groundtruth`."""
        return GroundTruth(gt, self.conventions, batch=batch,
                           allow_emptied_gt=self.allow_emptied_gt)

    def update(self, pred, gt, *, names=None, batch: bool = False, image=None) -> None:
        """Add one H x W pair, or an N x H x W batch with ``batch=True`` (input rules:
        docs/metrics.md, "Input rules").

        A 3-D array without ``batch=True`` is refused: an H x W x 3 colour image has three axes
        too, and would be scored as H images. ``gt`` is a map (batch) or a
        :class:`~sodbench.metrics.GroundTruth` from :meth:`prepare`. uint8 and bool
        predictions are scored from per-image histograms, other dtypes pixel by pixel; both
        give the same numbers (:mod:`sodbench.metrics.batch`). ``image``: the RGB image(s)
        (H x W x 3, or N x H x W x 3 with ``batch=True``), needed by ``CCM`` only.
        """
        pred = validate.as_batch(pred, "prediction", batch=batch)
        validate.check_map(pred, "prediction")
        if not isinstance(gt, GroundTruth):
            gt = self.prepare(gt, batch=batch)
        elif not gt.compatible(self.conventions):
            raise SodbenchError(
                f"ground truth was prepared under conventions {gt.conventions.name!r}, whose GT "
                f"threshold or centroid rule differs from {self.conventions.name!r}"
            )
        validate.check_pair(pred, gt.mask)
        images = validate.check_images(image, pred.shape, batch=batch,
                                       needed=reads_images(self.metrics))
        if any(key in self.metrics for key in _E_KEYS):
            validate.check_emeasure_size(pred.shape)
        names = self._new_names(names, len(pred))
        members = self._members(names, gt)
        step = chunk_images(pred)
        if len(pred) < step:  # scored with the next small updates of its size (buffer.py)
            if not self._buffer.accepts(pred) or len(self._buffer) + len(pred) > step:
                self._flush()
            self._buffer.add(pred, gt, images)
            self._names.extend(names)
            self._memberships.extend(members)
            return
        self._flush()
        self._add(pred, gt, [(start, min(start + step, len(pred)))
                             for start in range(0, len(pred), step)], members, images=images)
        self._names.extend(names)
        self._memberships.extend(members)

    def _members(self, names: list[str], gt: GroundTruth) -> list[tuple[str, ...]]:
        """The subsets of each new pair (from its name and its GT's foreground fraction)."""
        if self.subsets is None:
            return [()] * len(names)
        fractions = gt.mask.reshape(len(gt.mask), -1).mean(axis=1)
        return self.subsets.members(names, fractions)

    def _flush(self) -> None:
        """Score the small updates waiting in the buffer, as one chunk."""
        if len(self._buffer):
            members = self._memberships[self.n_images - len(self._buffer):]
            pred, gt, images, updates = self._buffer.take()
            self._add(pred, gt, [(0, len(pred))], members, updates, images=images)

    def _add(self, pred, gt: GroundTruth, chunks, members, updates=None, *,
             images=None) -> None:
        """Score ``pred`` chunk by chunk and add the values to the state.

        Curve sums and totals are added to the state one chunk at a time (one update at a
        time for a buffered chunk, ``updates``): the sums then depend only on the sequence of
        chunks, not on how the updates that made them were grouped or buffered, so scoring a
        run of pairs in one update or in chunk-sized updates gives the same bits. Each
        subset's sums are added the same way, from its rows of each chunk (``members``: the
        subsets of each row of ``pred``).
        """
        executor = self._work_executor() if set(THREADED_KEYS) & set(self._scalars) else None
        # scored first and stored after the last chunk, so an error in any chunk leaves the
        # evaluator as it was
        scalars = {key: [] for key in self._scalars}
        parts: dict[str, list] = {name: [] for name in {**self._curve_sums, **self._totals}}
        subset_parts = {subset: {name: [] for name in parts} for subset in self._subset_sums}
        futures = []
        for start, stop in chunks:
            part = None if images is None else images[start:stop]
            scores, curves, totals = engine.score(
                Batch(pred[start:stop], gt, start, images=part), self.conventions,
                self.metrics, curves=tuple(self._curve_sums), executor=executor)
            for key, values in scores.items():
                if isinstance(values, list):  # Futures, settled when read
                    scalars[key].extend(values)
                    futures.extend(values)
                else:
                    scalars[key].extend(np.asarray(values, dtype=np.float64).tolist())
            spans = [(0, stop - start)] if updates is None else updates
            for name, values in {**curves, **totals}.items():
                parts[name] += [values[a:b].sum(axis=0) for a, b in spans]
            for subset, store in subset_parts.items():
                inside = np.array([subset in member for member in members[start:stop]])
                for name, values in {**curves, **totals}.items():
                    store[name] += [values[a:b][inside[a:b]].sum(axis=0)
                                    for a, b in spans if inside[a:b].any()]
        for key, values in scalars.items():
            self._scalars[key].extend(values)
        for store in (self._curve_sums, self._totals):
            for name in store:
                for total in parts[name]:
                    store[name] += total
        for subset, sums in self._subset_sums.items():
            for name, total in sums.items():
                for part in subset_parts[subset][name]:
                    total += part
        self._pending.add(futures, pred[0].size)

    def _work_executor(self) -> Executor | None:
        """The injected executor, or the Evaluator's own threads (made on first use)."""
        if self._executor is not None:
            return self._executor
        if self.threads == 1:
            return None
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="sodbench-work")
            weakref.finalize(self, self._pool.shutdown, wait=False)
        return self._pool

    def _settle(self) -> None:
        """Score what the buffer holds and replace the Futures (wF, HCE, CM, CCM) by their
        scores."""
        self._flush()
        if self._pending:
            self._scalars = {key: settled(values) for key, values in self._scalars.items()}
            self._pending.clear()

    def _new_names(self, names, count: int) -> list[str]:
        if names is None:
            return [str(index) for index in range(self.n_images, self.n_images + count)]
        if isinstance(names, (str, bytes)):  # one string would give one name per character
            raise SodbenchError(f"names={names!r}: pass a list of {count} names, one per image")
        names = [str(name) for name in names]
        if len(names) != count:
            raise SodbenchError(f"got {len(names)} names for {count} images")
        return names

    def compute(self, subset: str | None = None) -> dict:
        """Dataset scores: the selected scalar keys as floats, plus ``"curves"`` (mean curves).

        ``subset``: the scores of that subset's images only (one of :attr:`subset_names`).
        """
        if self.n_images == 0:
            raise SodbenchError("no images were evaluated: call update() before compute()")
        self._settle()
        if subset is None:
            return self._scores(self._scalars, self._curve_sums, self._totals, self.n_images)
        if subset not in self._subset_sums:
            known = ", ".join(self.subset_names) or "none: pass subsets= to the Evaluator"
            raise SodbenchError(f"subset {subset!r} is not scored (subsets: {known})")
        rows = [index for index, member in enumerate(self._memberships) if subset in member]
        if not rows:
            raise SodbenchError(f"subset {subset!r} holds none of the {self.n_images} images")
        sums = self._subset_sums[subset]
        scalars = {key: [values[row] for row in rows] for key, values in self._scalars.items()}
        return self._scores(scalars, {name: sums[name] for name in self._curve_sums},
                            {name: sums[name] for name in self._totals}, len(rows))

    def _scores(self, scalars: dict, curve_sums: dict, totals: dict, count: int) -> dict:
        curves = {name: total / count for name, total in curve_sums.items()}
        results = {}
        for key in self.metrics:
            if key in scalars:
                results[key] = float(np.mean(np.array(scalars[key], dtype=np.float64)))
            elif KEYS[key].total is not None:
                results[key] = engine.finish(key, totals)
            else:
                statistic = {"max": np.max, "min": np.min, "mean": np.mean}[KEYS[key].statistic]
                results[key] = float(statistic(curves[KEYS[key].curve]))
        results["curves"] = curves
        return results

    def per_image(self):
        """One row per pair: ``name`` then the per-image scores (pandas DataFrame)."""
        import pandas as pd

        self._settle()
        columns = {"name": list(self._names)}
        columns.update({key: list(values) for key, values in self._scalars.items()})
        if self.subsets is not None:
            columns["subsets"] = [SEPARATOR.join(member) for member in self._memberships]
        return pd.DataFrame(columns)

    def merge(self, other: Evaluator) -> None:
        """Add ``other``'s pairs after this one's (same conventions and metrics required)."""
        if not isinstance(other, Evaluator):
            raise SodbenchError(f"merge() takes an Evaluator, got {type(other).__name__}")
        if other.conventions != self.conventions:
            raise SodbenchError(f"cannot merge evaluators with different conventions "
                                f"({self.conventions.name} vs {other.conventions.name})")
        if other.metrics != self.metrics:
            raise SodbenchError(f"cannot merge evaluators with different metrics "
                                f"({','.join(self.metrics)} vs {','.join(other.metrics)})")
        if other is self:
            raise SodbenchError("cannot merge an evaluator into itself (it would count every "
                                "image twice)")
        if other.subsets != self.subsets:
            raise SodbenchError("cannot merge evaluators with different subsets")
        self._settle()
        other._settle()
        self._names.extend(other._names)
        self._memberships.extend(other._memberships)
        for subset, sums in other._subset_sums.items():
            mine = self._subset_sums[subset]
            for name, total in sums.items():
                mine[name] = mine[name] + total
        for key, values in other._scalars.items():
            self._scalars[key].extend(values)
        for name, total in other._curve_sums.items():
            self._curve_sums[name] = self._curve_sums[name] + total
        for name, total in other._totals.items():
            self._totals[name] = self._totals[name] + total

    def state(self) -> dict:
        """Everything accumulated so far as plain lists (JSON-safe; floats round-trip exactly)."""
        self._settle()
        return {
            "conventions": self.conventions.name, "metrics": list(self.metrics),
            "names": list(self._names),
            "scalars": {key: list(values) for key, values in self._scalars.items()},
            "curve_sums": {name: total.tolist() for name, total in self._curve_sums.items()},
            "totals": {name: total.ravel().tolist() for name, total in self._totals.items()},
            **({} if self.subsets is None else {"subsets": {
                "rule": self.subsets.describe(),
                "members": [list(member) for member in self._memberships],
                "sums": {subset: {name: total.ravel().tolist() for name, total in sums.items()}
                         for subset, sums in self._subset_sums.items()}}}),
        }

    @classmethod
    def from_state(cls, state: dict, *, threads=None) -> Evaluator:
        """The evaluator :meth:`state` described (same conventions, metrics and pairs).

        A damaged ``state`` (a missing key, a list of another length than ``names``, a curve
        sum that is not 256 finite numbers, ...) raises a one-line :class:`SodbenchError`
        instead of giving an evaluator whose numbers are wrong.
        """
        check_state(state)
        subsets = state.get("subsets")
        rule = None if subsets is None else Subsets.from_description(subsets.get("rule"))
        evaluator = cls(state["conventions"], metrics=state["metrics"], threads=threads,
                        subsets=rule)
        scalars, curve_sums, names = state["scalars"], state["curve_sums"], state["names"]
        totals = state.get("totals", {})
        if (not isinstance(scalars, dict) or not isinstance(curve_sums, dict)
                or not isinstance(totals, dict)
                or set(scalars) != set(evaluator._scalars)
                or set(curve_sums) != set(evaluator._curve_sums)
                or set(totals) != set(evaluator._totals)):
            raise SodbenchError("evaluator state does not match its conventions and metrics")
        evaluator._names = list(names)
        evaluator._scalars = {
            key: state_numbers(values, f"scalars[{key!r}]", len(names)).tolist()
            for key, values in scalars.items()}
        evaluator._curve_sums = {
            name: state_numbers(values, f"curve_sums[{name!r}]", CURVE_LENGTHS[name])
            for name, values in curve_sums.items()}
        evaluator._totals = {
            name: state_numbers(totals[name], f"totals[{name!r}]", total.size).reshape(total.shape)
            for name, total in evaluator._totals.items()}
        evaluator._memberships = [()] * len(names)
        if rule is not None:
            evaluator._memberships, evaluator._subset_sums = subset_state(
                subsets, rule, len(names), evaluator._empty_sums())
        return evaluator

    def __getstate__(self) -> dict:
        self._settle()
        state = self.__dict__.copy()
        state.update(_pool=None, _executor=None, _pending=Pending())
        return state

    def __repr__(self) -> str:
        return f"Evaluator(conventions={self.conventions.name!r}, n_images={self.n_images})"
