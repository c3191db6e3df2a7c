"""SOD metrics as pure functions on numpy arrays, batched over N x H x W.

One module per family: :mod:`.mae`, :mod:`.smeasure`, :mod:`.wfmeasure`, :mod:`.emeasure`,
:mod:`.fmeasure` (precision, recall, F, IoU, Dice from the threshold counts of :mod:`.counts`),
:mod:`.iou` (soft IoU), :mod:`.overlap` (OR) and :mod:`.pfom`. Each returns a float64 array with
one value per image (curves: N x 256, ascending thresholds). Each takes one H x W pair, or
N x H x W batches with ``batch=True`` (a 3-D array without it is refused: an H x W x 3
colour image has three axes too). Input rules: :mod:`._input`.
Which map each metric sees (raw or min-max) is the conventions' choice (:mod:`.conventions`);
:class:`sodbench.Evaluator` applies it and averages over images.
"""
