"""Loaders for real data on the local disk: MedMNIST npz, LiTS/KiTS NIfTI, DICOM series.

Explained in: lecture A (data), "Pointing the loaders at real data".

Nothing is downloaded: every function takes a path to files you already have. A missing
or corrupt file raises :class:`DataFileError` (a ``FileNotFoundError`` or ``ValueError``
subclass) naming the file and what was expected.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

MEDMNIST_SPLITS = ("train", "val", "test")


class DataFileError(ValueError):
    """A data file exists but is not what was expected (corrupt, wrong keys or shapes)."""


class DataFileMissing(FileNotFoundError):
    """A data file the loader needs is not there."""


def _require_file(path: str | Path, what: str) -> Path:
    p = Path(path).expanduser()
    if not p.is_file():
        raise DataFileMissing(f"{p}: file not found (expected {what})")
    return p


def load_medmnist_npz(path: str | Path) -> dict[str, np.ndarray]:
    """Read a MedMNIST ``.npz`` (e.g. ``organamnist.npz``) and check its layout.

    Returns the six arrays ``{train,val,test}_{images,labels}``: images uint8
    N x S x S (or N x S x S x 3), labels N x 1. Explained in: lecture A.
    """
    p = _require_file(path, "a MedMNIST .npz with keys train_images, train_labels, "
                            "val_images, val_labels, test_images, test_labels")
    try:
        with np.load(p, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
        raise DataFileError(f"{p}: not a readable .npz file ({err}); expected a MedMNIST "
                            "archive with train_images, train_labels, ...") from err
    out = {}
    for split in MEDMNIST_SPLITS:
        ik, lk = f"{split}_images", f"{split}_labels"
        missing = [k for k in (ik, lk) if k not in arrays]
        if missing:
            raise DataFileError(f"{p}: missing key(s) {missing}; a MedMNIST .npz has "
                                f"{[f'{s}_{t}' for s in MEDMNIST_SPLITS for t in ('images', 'labels')]},"
                                f" found {sorted(arrays)}")
        images, labels = arrays[ik], arrays[lk]
        if images.ndim not in (3, 4) or images.shape[1] != images.shape[2]:
            raise DataFileError(f"{p}: {ik} has shape {images.shape}; expected N x S x S "
                                "(or N x S x S x 3)")
        if labels.reshape(len(labels), -1).shape != (len(images), 1):
            raise DataFileError(f"{p}: {lk} has shape {labels.shape}; expected "
                                f"({len(images)}, 1) to match {ik}")
        out[ik] = images.astype(np.uint8, copy=False)
        out[lk] = labels.reshape(-1, 1).astype(np.int64)
    return out
