"""Course data: the synthetic abdominal CT phantom, its datasets, and real-data loaders.

Explained in: lecture A (data). Everything runs offline: the phantom is generated
deterministically and cached in ``me.cache_dir()``; real LiTS/KiTS/MedMNIST/DICOM files
are read from a local path when you have them.
"""

from .cache import cache_path, cached
from .cohort import phantom_cohort, split_cases
from .loaders import DataFileError, DataFileMissing, load_medmnist_npz
from .organ_patches import (
    ORGAN_CLASSES,
    PATCH_WINDOW,
    organ_patch_loaders,
    organ_patches,
    save_medmnist_npz,
)
from .phantom import (
    HU_RANGES,
    LABELS,
    SPACING_MM,
    PhantomCase,
    generate_case,
    kits_view,
    lits_view,
)

__all__ = [
    "DataFileError", "DataFileMissing", "HU_RANGES", "LABELS", "ORGAN_CLASSES", "PATCH_WINDOW",
    "SPACING_MM", "PhantomCase", "cache_path", "cached", "generate_case", "kits_view",
    "lits_view", "load_medmnist_npz", "organ_patch_loaders", "organ_patches",
    "phantom_cohort", "save_medmnist_npz", "split_cases",
]
