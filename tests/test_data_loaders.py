"""Real-format loaders on files the tests write: NIfTI (LiTS/KiTS), DICOM series, MedMNIST
npz; clear errors for missing and corrupt files (lecture A)."""

from __future__ import annotations

import numpy as np
import pytest

from medeff import data as md


def _volume(shape=(6, 16, 20), seed=0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    hu = rng.integers(-1000, 400, size=shape).astype(np.int16)
    lab = np.zeros(shape, np.uint8)
    lab[2:5, 4:10, 5:12] = 1
    lab[3, 6:8, 6:9] = 2
    return hu, lab


def test_lits_nifti_round_trip(tmp_path):
    import nibabel as nib

    hu, lab = _volume()
    affine = np.diag([0.8, 0.7, 2.5, 1.0])
    # LiTS files are (x, y, z) for nibabel: store the transpose of our (z, y, x) arrays
    nib.save(nib.Nifti1Image(np.transpose(hu, (2, 1, 0)), affine), tmp_path / "volume-3.nii")
    nib.save(
        nib.Nifti1Image(np.transpose(lab, (2, 1, 0)), affine), tmp_path / "segmentation-3.nii.gz"
    )
    image, labels, spacing = md.load_lits_case(tmp_path, 3)
    np.testing.assert_array_equal(image, hu.astype(np.float32))
    np.testing.assert_array_equal(labels, lab)
    assert spacing == pytest.approx((2.5, 0.7, 0.8))
    assert image.dtype == np.float32 and labels.dtype == np.uint8


def test_kits_nifti_round_trip(tmp_path):
    import nibabel as nib

    hu, lab = _volume(seed=1)
    case = tmp_path / "case_00007"
    case.mkdir()
    affine = np.diag([3.0, 0.78, 0.78, 1.0])
    nib.save(nib.Nifti1Image(hu, affine), case / "imaging.nii.gz")
    nib.save(nib.Nifti1Image(lab, affine), case / "segmentation.nii.gz")
    image, labels, spacing = md.load_kits_case(case)
    np.testing.assert_array_equal(image, hu)
    np.testing.assert_array_equal(labels, lab)
    assert spacing == pytest.approx((3.0, 0.78, 0.78))


def test_nifti_errors_name_the_file(tmp_path):
    import nibabel as nib

    with pytest.raises(md.DataFileMissing, match="volume-0.nii"):
        md.load_lits_case(tmp_path, 0)
    (tmp_path / "volume-0.nii").write_bytes(b"\x00garbage" * 10)
    (tmp_path / "segmentation-0.nii").write_bytes(b"\x00garbage" * 10)
    with pytest.raises(md.DataFileError, match=r"volume-0\.nii.*LiTS CT volume"):
        md.load_lits_case(tmp_path, 0)
    hu, lab = _volume()
    nib.save(nib.Nifti1Image(hu, np.eye(4)), tmp_path / "volume-1.nii")
    bad = lab.copy()
    bad[0, 0, 0] = 7
    nib.save(nib.Nifti1Image(bad, np.eye(4)), tmp_path / "segmentation-1.nii")
    with pytest.raises(md.DataFileError, match="label values"):
        md.load_lits_case(tmp_path, 1)
    nib.save(nib.Nifti1Image(lab[:3], np.eye(4)), tmp_path / "segmentation-1.nii")
    with pytest.raises(md.DataFileError, match="does not match"):
        md.load_lits_case(tmp_path, 1)


def _write_dicom(
    path, pixels: np.ndarray, z: float, instance: int, slope=1.0, intercept=-1024.0
) -> None:
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "CT"
    ds.Rows, ds.Columns = pixels.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
    ds.PixelSpacing = [0.7, 0.75]
    ds.SliceThickness = 2.0
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.ImagePositionPatient = [0.0, 0.0, z]
    ds.InstanceNumber = instance
    ds.RescaleSlope, ds.RescaleIntercept = slope, intercept
    ds.PixelData = pixels.astype(np.int16).tobytes()
    ds.save_as(path, enforce_file_format=True)


def test_dicom_series_sorted_and_rescaled(tmp_path):
    rng = np.random.default_rng(0)
    raw = rng.integers(0, 2000, size=(4, 12, 10)).astype(np.int16)
    order = [2, 0, 3, 1]  # files written out of order, names unrelated to position
    for k, i in enumerate(order):
        _write_dicom(
            tmp_path / f"im{k}.dcm",
            raw[i],
            z=-100.0 + 2.5 * i,
            instance=10 - i,
            slope=0.5,
            intercept=-1000.0,
        )
    volume, spacing = md.load_dicom_series(tmp_path)
    np.testing.assert_allclose(volume, raw.astype(np.float32) * 0.5 - 1000.0)
    assert spacing == pytest.approx((2.5, 0.7, 0.75))


def test_dicom_errors(tmp_path):
    _write_dicom(tmp_path / "a.dcm", np.zeros((8, 8)), 0.0, 1)
    (tmp_path / "b.dcm").write_bytes(b"this is not dicom")
    with pytest.raises(md.DataFileError, match=r"b\.dcm"):
        md.load_dicom_series(tmp_path)
    with pytest.raises(md.DataFileMissing, match="nowhere"):
        md.load_dicom_series(tmp_path / "nowhere")


def test_pydicom_ct_small_is_real_ct():
    from pydicom.data import get_testdata_file

    volume, spacing = md.load_dicom_series(get_testdata_file("CT_small.dcm"))
    assert volume.shape == (1, 128, 128)
    assert volume.min() < -500 and 100 < np.percentile(volume, 99.5) < 2000
    assert spacing[1] > 0


def test_medmnist_npz_round_trip_and_loader(tmp_path):
    rng = np.random.default_rng(0)
    arrays = {}
    for split, n in (("train", 40), ("val", 10), ("test", 12)):
        arrays[f"{split}_images"] = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        arrays[f"{split}_labels"] = rng.integers(0, 11, (n, 1)).astype(np.uint8)
    path = tmp_path / "organamnist.npz"
    md.save_medmnist_npz(path, arrays)
    back = md.load_medmnist_npz(path)
    for k, v in arrays.items():
        np.testing.assert_array_equal(back[k], v)
    train, val, test = md.organ_patch_loaders(batch_size=16, path=str(path))
    assert len(test.dataset) == 12
    x, y = next(iter(val))
    assert x.shape == (10, 1, 28, 28) and x.dtype.is_floating_point and y.dtype.is_signed
    np.testing.assert_allclose(x[:, 0].numpy(), arrays["val_images"] / 255.0, atol=1e-6)
    np.testing.assert_array_equal(y.numpy(), arrays["val_labels"][:, 0])


def test_medmnist_npz_errors(tmp_path):
    with pytest.raises(md.DataFileMissing, match=r"organamnist\.npz"):
        md.load_medmnist_npz(tmp_path / "organamnist.npz")
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04 broken zip")
    with pytest.raises(md.DataFileError, match=r"bad\.npz"):
        md.load_medmnist_npz(bad)
    partial = tmp_path / "partial.npz"
    np.savez(partial, train_images=np.zeros((2, 28, 28), np.uint8), train_labels=np.zeros((2, 1)))
    with pytest.raises(md.DataFileError, match="val_images"):
        md.load_medmnist_npz(partial)
    shapes = tmp_path / "shapes.npz"
    np.savez(
        shapes,
        **{f"{s}_images": np.zeros((2, 28, 28), np.uint8) for s in ("train", "val", "test")},
        **{f"{s}_labels": np.zeros((3, 1)) for s in ("train", "val", "test")},
    )
    with pytest.raises(md.DataFileError, match="train_labels"):
        md.load_medmnist_npz(shapes)


def test_resize_volume():
    hu, lab = _volume(shape=(4, 64, 64))
    assert md.resize_volume(hu, 32).shape == (4, 32, 32)
    small = md.resize_volume(lab, 32, labels=True)
    assert small.dtype == np.uint8 and set(np.unique(small)) <= {0, 1, 2}
