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
    p = _require_file(
        path,
        "a MedMNIST .npz with keys train_images, train_labels, "
        "val_images, val_labels, test_images, test_labels",
    )
    try:
        with np.load(p, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
        raise DataFileError(
            f"{p}: not a readable .npz file ({err}); expected a MedMNIST "
            "archive with train_images, train_labels, ..."
        ) from err
    out = {}
    for split in MEDMNIST_SPLITS:
        ik, lk = f"{split}_images", f"{split}_labels"
        missing = [k for k in (ik, lk) if k not in arrays]
        if missing:
            raise DataFileError(
                f"{p}: missing key(s) {missing}; a MedMNIST .npz has "
                f"{[f'{s}_{t}' for s in MEDMNIST_SPLITS for t in ('images', 'labels')]},"
                f" found {sorted(arrays)}"
            )
        images, labels = arrays[ik], arrays[lk]
        if images.ndim not in (3, 4) or images.shape[1] != images.shape[2]:
            raise DataFileError(
                f"{p}: {ik} has shape {images.shape}; expected N x S x S (or N x S x S x 3)"
            )
        if labels.reshape(len(labels), -1).shape != (len(images), 1):
            raise DataFileError(
                f"{p}: {lk} has shape {labels.shape}; expected ({len(images)}, 1) to match {ik}"
            )
        out[ik] = images.astype(np.uint8, copy=False)
        out[lk] = labels.reshape(-1, 1).astype(np.int64)
    return out


# ---------------------------------------------------------------------------- NIfTI
def load_nifti(
    path: str | Path, what: str = "a NIfTI volume (.nii or .nii.gz)"
) -> tuple[np.ndarray, tuple[float, ...]]:
    """Array and voxel spacing (in the file's axis order) of a NIfTI file, via nibabel.

    Explained in: lecture A, "Pointing the loaders at real data".
    """
    import nibabel as nib
    from nibabel.filebasedimages import ImageFileError

    p = _require_file(path, what)
    try:
        img = nib.load(str(p))
        data = np.asanyarray(img.dataobj)
        zooms = tuple(float(z) for z in img.header.get_zooms()[: data.ndim])
    except (ImageFileError, OSError, EOFError, ValueError, TypeError) as err:
        raise DataFileError(f"{p}: cannot read as NIfTI ({err}); expected {what}") from err
    if data.ndim != 3:
        raise DataFileError(f"{p}: has shape {data.shape}; expected {what} with 3 axes")
    return data, zooms


def _check_labels(p: Path, labels: np.ndarray, image_shape: tuple[int, ...]) -> np.ndarray:
    if labels.shape != image_shape:
        raise DataFileError(
            f"{p}: segmentation shape {labels.shape} does not match the image shape {image_shape}"
        )
    values = np.unique(labels)
    if not np.isin(values, (0, 1, 2)).all():
        raise DataFileError(
            f"{p}: label values {values.tolist()}; expected 0 background, 1 organ, 2 tumour"
        )
    return labels.astype(np.uint8)


def load_lits_case(
    folder: str | Path, index: int
) -> tuple[np.ndarray, np.ndarray, tuple[float, float, float]]:
    """LiTS case ``index`` from ``folder/volume-N.nii`` and ``folder/segmentation-N.nii``.

    nibabel gives (512, 512, Z); this returns ``(image float32 (Z, H, W) in HU, labels
    uint8 (Z, H, W) with 0 background/1 liver/2 tumour, spacing (z, y, x) mm)``.
    ``.nii.gz`` is accepted too. Explained in: lecture A.
    """
    folder = Path(folder).expanduser()
    paths = []
    for stem in (f"volume-{index}", f"segmentation-{index}"):
        cands = [folder / f"{stem}.nii", folder / f"{stem}.nii.gz"]
        paths.append(next((c for c in cands if c.is_file()), cands[0]))
    vol, zooms = load_nifti(paths[0], "a LiTS CT volume (volume-N.nii, HU)")
    seg, _ = load_nifti(paths[1], "a LiTS segmentation (segmentation-N.nii, labels 0/1/2)")
    image = np.ascontiguousarray(np.transpose(vol, (2, 1, 0)), dtype=np.float32)
    labels = _check_labels(
        paths[1], np.ascontiguousarray(np.transpose(seg, (2, 1, 0))), image.shape
    )
    return image, labels, (zooms[2], zooms[1], zooms[0])


def load_kits_case(
    case_folder: str | Path,
) -> tuple[np.ndarray, np.ndarray, tuple[float, float, float]]:
    """KiTS19 case from ``case_XXXXX/imaging.nii.gz`` and ``segmentation.nii.gz``.

    KiTS19 arrays are already (Z, H, W); returns ``(image float32 HU, labels uint8 with
    0 background/1 kidney/2 tumour, spacing (z, y, x) mm)``. Explained in: lecture A.
    """
    folder = Path(case_folder).expanduser()
    vol, zooms = load_nifti(folder / "imaging.nii.gz", "a KiTS19 CT volume (imaging.nii.gz)")
    seg, _ = load_nifti(
        folder / "segmentation.nii.gz", "a KiTS19 segmentation (segmentation.nii.gz, labels 0/1/2)"
    )
    image = np.asarray(vol, dtype=np.float32)
    labels = _check_labels(folder / "segmentation.nii.gz", np.asarray(seg), image.shape)
    return image, labels, (zooms[0], zooms[1], zooms[2])


# ---------------------------------------------------------------------------- DICOM
def _dicom_files(source: str | Path | list) -> list[Path]:
    if isinstance(source, (list, tuple)):
        files = [Path(f).expanduser() for f in source]
    else:
        p = Path(source).expanduser()
        if p.is_file():
            files = [p]
        elif p.is_dir():
            files = sorted(f for f in p.iterdir() if f.is_file() and not f.name.startswith("."))
        else:
            raise DataFileMissing(f"{p}: no such file or folder (expected a DICOM series)")
    if not files:
        raise DataFileMissing(f"{source}: no files found (expected a DICOM series)")
    return files


def load_dicom_series(source: str | Path | list) -> tuple[np.ndarray, tuple[float, float, float]]:
    """A CT series from a folder of DICOM files (or a list of files, or one file).

    Slices are sorted along the slice normal by ImagePositionPatient (InstanceNumber when
    positions are missing), pixel values converted to HU with RescaleSlope/Intercept.
    Returns ``(volume float32 (Z, H, W) in HU, spacing (z, y, x) mm)``. A file that is not
    DICOM, has no pixel data, or differs in size raises :class:`DataFileError` naming it.
    Explained in: lecture A, "A real CT slice".
    """
    import pydicom
    from pydicom.errors import InvalidDicomError

    slices = []
    for f in _dicom_files(source):
        _require_file(f, "a DICOM file of the series")
        try:
            ds = pydicom.dcmread(f)
            pixels = ds.pixel_array.astype(np.float32)
        except (
            InvalidDicomError,
            OSError,
            EOFError,
            ValueError,
            AttributeError,
            KeyError,
            TypeError,
        ) as err:
            raise DataFileError(
                f"{f}: not a readable DICOM image ({err}); expected one CT slice with pixel data"
            ) from err
        if pixels.ndim != 2:
            raise DataFileError(f"{f}: pixel data of shape {pixels.shape}; expected one 2-D slice")
        hu = pixels * float(getattr(ds, "RescaleSlope", 1.0) or 1.0) + float(
            getattr(ds, "RescaleIntercept", 0.0) or 0.0
        )
        pos = getattr(ds, "ImagePositionPatient", None)
        orient = getattr(ds, "ImageOrientationPatient", None)
        if pos is not None:
            normal = (
                np.cross(np.asarray(orient[:3], float), np.asarray(orient[3:], float))
                if orient is not None
                else np.array([0.0, 0.0, 1.0])
            )
            key = float(np.dot(normal, np.asarray(pos, float)))
        else:
            key = float(getattr(ds, "InstanceNumber", len(slices)))
        spacing = [float(v) for v in getattr(ds, "PixelSpacing", (1.0, 1.0))]
        slices.append((key, hu, f, spacing, float(getattr(ds, "SliceThickness", 1.0) or 1.0)))
    slices.sort(key=lambda s: s[0])
    shape = slices[0][1].shape
    for _k, hu, f, _s, _t in slices:
        if hu.shape != shape:
            raise DataFileError(f"{f}: slice of shape {hu.shape}, but the series has {shape}")
    keys = np.array([s[0] for s in slices])
    dz = float(np.median(np.diff(keys))) if len(keys) > 1 and np.ptp(keys) > 0 else slices[0][4]
    volume = np.stack([s[1] for s in slices]).astype(np.float32)
    return volume, (abs(dz), slices[0][3][0], slices[0][3][1])


def resize_volume(volume: np.ndarray, size: int, labels: bool = False) -> np.ndarray:
    """Resize each slice of a (Z, H, W) volume to ``size`` x ``size`` (bilinear for images,
    nearest for label maps), e.g. LiTS 512 -> the course's 96. Explained in: lecture A."""
    import torch
    import torch.nn.functional as F

    x = torch.from_numpy(np.ascontiguousarray(volume, dtype=np.float32))[:, None]
    if labels:
        y = F.interpolate(x, size=(size, size), mode="nearest")
        return y[:, 0].numpy().astype(np.uint8)
    y = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
    return y[:, 0].numpy()
