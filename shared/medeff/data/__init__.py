"""Course data: the synthetic abdominal CT phantom, its datasets, and real-data loaders.

Explained in: lecture A (data). Everything runs offline: the phantom is generated
deterministically and cached in ``me.cache_dir()``; real LiTS/KiTS/MedMNIST/DICOM files
are read from a local path when you have them.
"""

from .cache import cache_path, cached
from .cohort import cohort_split, phantom_cohort, split_cases, tumour_strata
from .datasets import (
    TASKS,
    CaseScores,
    SliceDataset,
    binary_target,
    case_scores,
    phantom_task_volumes,
    predict_masks,
    segmentation_datasets,
    segmentation_loaders,
    segmentation_metrics,
    summarize,
    window_hu,
)
from .loaders import (
    DataFileError,
    DataFileMissing,
    load_dicom_series,
    load_kits_case,
    load_lits_case,
    load_medmnist_npz,
    load_nifti,
    resize_volume,
)
from .organ_patches import (
    FAST_EVAL,
    FAST_TRAIN,
    ORGAN_CLASSES,
    PATCH_WINDOW,
    organ_patch_loaders,
    organ_patches,
    save_medmnist_npz,
)
from .phantom import (
    HU_RANGES,
    KIDNEY_TUMOR_PROB,
    KIDNEY_TUMOR_RADIUS_MM,
    LABELS,
    SPACING_MM,
    PhantomCase,
    gaussian_blur2d,
    generate_case,
    kits_view,
    lits_view,
    tissue_hu_stats,
)

__all__ = [
    "DataFileError",
    "DataFileMissing",
    "HU_RANGES",
    "KIDNEY_TUMOR_PROB",
    "KIDNEY_TUMOR_RADIUS_MM",
    "LABELS",
    "ORGAN_CLASSES",
    "PATCH_WINDOW",
    "SPACING_MM",
    "PhantomCase",
    "cache_path",
    "cached",
    "generate_case",
    "kits_view",
    "lits_view",
    "load_medmnist_npz",
    "organ_patch_loaders",
    "organ_patches",
    "phantom_cohort",
    "save_medmnist_npz",
    "split_cases",
    "cohort_split",
    "tumour_strata",
    "tissue_hu_stats",
    "TASKS",
    "CaseScores",
    "SliceDataset",
    "case_scores",
    "segmentation_datasets",
    "segmentation_loaders",
    "segmentation_metrics",
    "window_hu",
    "load_dicom_series",
    "gaussian_blur2d",
    "binary_target",
    "phantom_task_volumes",
    "predict_masks",
    "summarize",
    "FAST_EVAL",
    "FAST_TRAIN",
    "load_kits_case",
    "load_lits_case",
    "load_nifti",
    "resize_volume",
]
