"""A procedural abdominal CT phantom in Hounsfield units, with a label map.

Explained in: lecture A (data), "The synthetic abdominal CT phantom".

No public wheel ships labelled liver/kidney tumour CT, so the course generates its own
small cases: ``depth`` axial slices (default 32) of ``size`` x ``size`` pixels (default
96), voxel spacing about 3.6 x 3.6 mm in-plane and 5 mm between slices, portal-venous
contrast phase (as in LiTS). Anatomy changes smoothly from slice to slice: the liver
is large in the upper slices and tapers downwards, the kidneys appear in the lower half,
spine and aorta run through all slices.

Image orientation follows the radiological convention: row 0 is anterior, the patient's
right is on the image's left (so the liver is on the left of the image, the spleen on
the right).

Every structure is drawn by its own function from smooth superellipses whose centre and
size vary slowly along z. Liver tumours follow the recipe of Hu et al. (CVPR 2023,
SyntheticTumors): ellipsoids of radius about 4/8/16/32 mm, elastically deformed by a
smooth random field, a Gaussian-filtered noise texture, hypodense by 65-145 HU against
the liver, with a blurred edge. A kidney tumour (renal-cell-carcinoma-like: a roundish
mass of radius 10-28 mm, i.e. 2-5.6 cm across, centred inside the kidney and often bulging
out of it, hypo-enhancing at 60-100 HU against the kidney's 150-190 HU) is drawn in 85 % of
the cases (``kidney_tumor_prob``): KiTS19 is a cohort of patients operated on for a renal
mass, so every real KiTS case has one. Finally the image is blurred slightly (sigma
0.7 px) and Gaussian noise of 10-20 HU is added. Everything is deterministic from ``seed``.

Label values (:data:`LABELS`)::

    0 background (air)   1 body (other soft tissue, bowel)   2 fat
    3 muscle              4 liver                             5 liver tumour
    6 kidney              7 kidney tumour                     8 spleen
    9 vertebra (bone)    10 aorta                            11 bowel gas

:func:`lits_view` and :func:`kits_view` map them to the LiTS (0 background, 1 liver,
2 tumour) and KiTS (0 background, 1 kidney, 2 tumour) conventions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

PHANTOM_VERSION = 3  # 3: kidney tumours in 85 % of cases (was 40 %), radius 10-28 mm

LABELS: dict[str, int] = {
    "background": 0,
    "body": 1,
    "fat": 2,
    "muscle": 3,
    "liver": 4,
    "liver_tumor": 5,
    "kidney": 6,
    "kidney_tumor": 7,
    "spleen": 8,
    "vertebra": 9,
    "aorta": 10,
    "gas": 11,
}

# The one source of truth for intensities: generate_case draws every per-case tissue mean
# uniformly from these ranges (HU). Liver (~110 +-15), kidney (140-200) and aorta take
# portal-venous-phase values as in LiTS; fat -50..-100; hypodense tumour = liver - (65..145);
# bone 50..1000. The spleen is a simplification: it is kept 5-15 HU below the liver, the
# relation of unenhanced CT (in the portal-venous phase the spleen is usually as bright as
# the liver or brighter); lecture A says so.
TISSUE_MEAN_HU: dict[str, tuple[float, float]] = {
    "subcutaneous_fat": (-100.0, -80.0),
    "visceral": (15.0, 35.0),  # bowel / mesentery soft tissue ("body" label)
    "visceral_fat": (-95.0, -70.0),
    "muscle": (45.0, 58.0),
    "liver": (100.0, 120.0),
    "spleen_below_liver": (5.0, 15.0),  # spleen = liver mean minus this
    "kidney": (150.0, 190.0),
    "renal_sinus": (-70.0, -30.0),  # labelled "fat"
    "kidney_tumor": (60.0, 100.0),
    "cancellous_bone": (180.0, 260.0),
    "cortical_bone": (550.0, 800.0),
    "aorta": (150.0, 180.0),
    "gas": (-980.0, -980.0),
    "air": (-1000.0, -1000.0),
    "tumor_below_liver": (65.0, 145.0),  # liver tumour = liver mean minus this
}

# Which drawn ranges make up each label, and how far a measured mean (one-pixel eroded
# mask, after the sigma 0.7 px blur and 10-20 HU noise) may sit outside them: 15 HU for
# organs; 60 HU for small gas pockets, which the blur mixes with their surroundings.
_LABEL_RANGES: dict[str, tuple[tuple[float, float], float]] = {}


def _span(*names: str) -> tuple[float, float]:
    return (min(TISSUE_MEAN_HU[n][0] for n in names), max(TISSUE_MEAN_HU[n][1] for n in names))


def _below_liver(name: str) -> tuple[float, float]:
    (lo, hi), (dlo, dhi) = TISSUE_MEAN_HU["liver"], TISSUE_MEAN_HU[name]
    return (lo - dhi, hi - dlo)


_LABEL_RANGES = {
    "background": (_span("air"), 15.0),
    "body": (_span("visceral"), 15.0),
    "fat": (_span("subcutaneous_fat", "visceral_fat", "renal_sinus"), 15.0),
    "muscle": (_span("muscle"), 15.0),
    "liver": (_span("liver"), 15.0),
    "liver_tumor": (_below_liver("tumor_below_liver"), 15.0),
    "kidney": (_span("kidney"), 15.0),
    "kidney_tumor": (_span("kidney_tumor"), 15.0),
    "spleen": (_below_liver("spleen_below_liver"), 15.0),
    "vertebra": (_span("cancellous_bone", "cortical_bone"), 15.0),
    "aorta": (_span("aorta"), 15.0),
    "gas": (_span("gas"), 60.0),
}

# Documented ranges of the measured mean HU per label, derived from TISSUE_MEAN_HU (so the
# two can never disagree): lecture A prints them beside the measured values.
HU_RANGES: dict[str, tuple[float, float]] = {
    name: (max(-1024.0, lo - margin), hi + margin)
    for name, ((lo, hi), margin) in _LABEL_RANGES.items()
}

SPACING_MM = (5.0, 3.6, 3.6)  # (z, y, x)

# Kidney tumour: probability per case and radius range in mm (before the deformation and
# the clipping to the abdomen). Lecture A prints both.
KIDNEY_TUMOR_PROB = 0.85
KIDNEY_TUMOR_RADIUS_MM = (10.0, 28.0)


@dataclass(frozen=True)
class PhantomCase:
    """One generated case: ``image`` (Z, H, W) float32 HU and ``labels`` (Z, H, W) uint8.

    ``spacing`` is (z, y, x) in mm; ``tumors`` holds one dict per liver tumour drawn
    (centre in voxels, radius in mm, HU difference to the liver). Explained in: lecture A.
    """

    image: np.ndarray
    labels: np.ndarray
    spacing: tuple[float, float, float]
    tumors: tuple[dict, ...]
    seed: int


# ---------------------------------------------------------------------------- helpers
def gaussian_blur2d(volume: np.ndarray, sigma: float) -> np.ndarray:
    """Blur each slice of a (Z, H, W) array with a Gaussian of ``sigma`` pixels (reflect padding).

    Separable numpy convolution, so scipy is not needed. Explained in: lecture A.
    """
    if sigma <= 0:
        return volume.astype(np.float32, copy=True)
    radius = max(1, int(round(3 * sigma)))
    t = np.arange(-radius, radius + 1, dtype=np.float32)
    k = np.exp(-0.5 * (t / sigma) ** 2)
    k /= k.sum()
    x = np.asarray(volume, dtype=np.float32)
    for axis in (-2, -1):
        pad = [(0, 0)] * x.ndim
        pad[axis] = (radius, radius)
        xp = np.pad(x, pad, mode="reflect")
        n = x.shape[axis]
        out = np.zeros_like(x)
        for i, wgt in enumerate(k):
            out += wgt * np.take(xp, np.arange(i, i + n), axis=axis)
        x = out
    return x


def smooth_noise(
    rng: np.random.Generator, shape: tuple[int, int, int], cells: tuple[int, int, int]
) -> np.ndarray:
    """Smooth random field with unit-ish standard deviation: coarse Gaussian noise on a
    ``cells`` grid, upsampled trilinearly to ``shape``. Explained in: lecture A."""
    coarse = torch.from_numpy(rng.standard_normal(cells).astype(np.float32))[None, None]
    field = F.interpolate(coarse, size=shape, mode="trilinear", align_corners=True)[0, 0]
    field = field / (field.std() + 1e-6)
    return field.numpy()


def _profile(z: np.ndarray, center: float, half: float) -> np.ndarray:
    """Size factor along z: an ellipsoid-like cap, 1 at ``center``, 0 beyond ``half``."""
    return np.sqrt(np.clip(1.0 - ((z - center) / half) ** 2, 0.0, None))


def _blob(
    X: np.ndarray,
    Y: np.ndarray,
    cx,
    cy,
    ax,
    ay,
    angle: float = 0.0,
    p: float = 2.0,
    wobble: tuple[tuple[float, float], ...] = (),
) -> np.ndarray:
    """Superellipse mask; parameters may be arrays of shape (Z, 1, 1) (varying along z).

    ``wobble`` adds low-order harmonics ``(amplitude, phase)`` for k = 2, 3, ... to the
    boundary radius, so organs are not perfect ellipses. ``X``, ``Y`` are the (1, H, W)
    grids of :class:`_Grid`; only the bounding box of the shape is evaluated.
    """
    Z = max(np.size(v) for v in (cx, cy, ax, ay))
    H, W = X.shape[-2:]
    out = np.zeros((Z, H, W), dtype=bool)
    ax = np.maximum(ax, 1e-6)
    ay = np.maximum(ay, 1e-6)
    reach = np.max(np.maximum(ax, ay)) * (1.0 + sum(a for a, _ in wobble)) * (1.5 if p > 2 else 1.0)
    xs, ys = X[0, 0, :], Y[0, :, 0]
    cols = np.flatnonzero((xs >= np.min(cx) - reach) & (xs <= np.max(cx) + reach))
    rows = np.flatnonzero((ys >= np.min(cy) - reach) & (ys <= np.max(cy) + reach))
    if len(cols) == 0 or len(rows) == 0:
        return out
    r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    Xs, Ys = X[:, r0:r1, c0:c1], Y[:, r0:r1, c0:c1]
    c, s = np.cos(angle), np.sin(angle)
    u = ((Xs - cx) * c + (Ys - cy) * s) / ax
    v = (-(Xs - cx) * s + (Ys - cy) * c) / ay
    if p == 2.0:
        rho = np.sqrt(u * u + v * v)
    else:
        rho = (np.abs(u) ** p + np.abs(v) ** p) ** (1.0 / p)
    bound = 1.0
    if wobble:
        e = (u + 1j * v).astype(np.complex64)
        e /= np.maximum(np.abs(e), 1e-6)  # e = exp(i theta)
        e2 = e * e
        ek, acc = e2, np.zeros(e.shape, np.complex64)
        for a, ph in wobble:  # harmonics k = 2, 3, ...: a * cos(k theta + ph)
            acc += a * np.exp(1j * ph) * ek
            ek = ek * e
        bound = 1.0 + acc.real
    out[:, r0:r1, c0:c1] = rho <= bound
    return out


def _wobble(rng: np.random.Generator, n: int = 3, amp: float = 0.06):
    return tuple((float(rng.uniform(0, amp)), float(rng.uniform(0, 2 * np.pi))) for _ in range(n))


class _Grid:
    """Coordinates of a case: X, Y in [-1, 1] (1, H, W); z in [0, 1] as (Z, 1, 1)."""

    def __init__(self, depth: int, size: int):
        lin = np.linspace(-1.0, 1.0, size, dtype=np.float32)
        self.Y, self.X = np.meshgrid(lin, lin, indexing="ij")
        self.X = self.X[None]
        self.Y = self.Y[None]
        self.z = np.linspace(0.0, 1.0, depth, dtype=np.float32)[:, None, None]
        self.shape = (depth, size, size)
        self.px_mm = SPACING_MM[1] * 96.0 / size  # field of view stays ~345 mm


# ---------------------------------------------------------------------------- anatomy
def body_outline(g: _Grid, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Body (skin) outline and the inner boundary of subcutaneous fat; both (Z, H, W)."""
    ax, ay = rng.uniform(0.80, 0.92), rng.uniform(0.56, 0.68)
    grow = 1.0 + rng.uniform(-0.05, 0.06) * g.z + 0.02 * np.sin(2 * np.pi * g.z + rng.uniform(0, 6))
    cy = 0.06 + rng.uniform(-0.03, 0.03)
    w = _wobble(rng, 2, 0.03)
    body = _blob(g.X, g.Y, 0.0, cy, ax * grow, ay * grow, 0.0, rng.uniform(2.2, 2.8), w)
    fat = rng.uniform(0.06, 0.16)  # subcutaneous fat thickness (fraction of the half-width)
    inner = _blob(g.X, g.Y, 0.0, cy + 0.01, ax * grow - fat, ay * grow - fat * 1.1, 0.0, 2.4, w)
    return body, inner


def muscle(g: _Grid, rng: np.random.Generator, inner: np.ndarray) -> np.ndarray:
    """Abdominal wall (a band just inside the subcutaneous fat) and paraspinal muscles."""
    t = rng.uniform(0.04, 0.07)
    # erode the inner outline by t: cheap approximation by rescaling about the centre
    cy = 0.07
    sx, sy = 1.0 - t / 0.75, 1.0 - t / 0.55
    Xs, Ys = g.X / sx, (g.Y - cy) / sy + cy
    idx_x = np.clip(np.round((Xs + 1) / 2 * (g.shape[2] - 1)), 0, g.shape[2] - 1).astype(int)
    idx_y = np.clip(np.round((Ys + 1) / 2 * (g.shape[1] - 1)), 0, g.shape[1] - 1).astype(int)
    shrunk = inner[:, idx_y[0], idx_x[0]]
    wall = inner & ~shrunk
    px, py = rng.uniform(0.16, 0.22), rng.uniform(0.58, 0.66)
    para = np.zeros(g.shape, dtype=bool)
    for side in (-1, 1):
        para |= _blob(g.X, g.Y, side * px, py, 0.13, 0.10, side * 0.3, 2.0, _wobble(rng, 2))
        # psoas muscles appear in the lower slices beside the spine
        psoas_size = _profile(g.z, 1.0, 0.55)
        para |= _blob(g.X, g.Y, side * 0.17, 0.42, 0.07 * psoas_size, 0.08 * psoas_size)
    return (wall | para) & inner


def liver(g: _Grid, rng: np.random.Generator) -> np.ndarray:
    """Liver: a large right lobe (image left) and a left lobe that tapers off early in z."""
    zc, half = rng.uniform(0.22, 0.32), rng.uniform(0.48, 0.58)
    size = _profile(g.z, zc, half)
    cx = -0.40 + rng.uniform(-0.05, 0.05) + 0.05 * g.z
    cy = 0.08 + rng.uniform(-0.05, 0.05) + 0.05 * np.sin(3 * g.z + rng.uniform(0, 6))
    right = _blob(
        g.X,
        g.Y,
        cx,
        cy,
        rng.uniform(0.30, 0.38) * size,
        rng.uniform(0.38, 0.46) * size,
        rng.uniform(-0.3, 0.1),
        2.3,
        _wobble(rng, 3, 0.07),
    )
    lsize = _profile(g.z, zc - 0.1, half * rng.uniform(0.45, 0.7))
    left = _blob(
        g.X,
        g.Y,
        rng.uniform(-0.08, 0.05),
        rng.uniform(-0.26, -0.18),
        rng.uniform(0.24, 0.34) * lsize,
        rng.uniform(0.11, 0.16) * lsize,
        rng.uniform(-0.35, -0.1),
        2.0,
        _wobble(rng, 2, 0.08),
    )
    return right | left


def spleen(g: _Grid, rng: np.random.Generator) -> np.ndarray:
    """Spleen: a crescent-like ellipse posterior on the patient's left (image right)."""
    size = _profile(g.z, rng.uniform(0.15, 0.25), rng.uniform(0.25, 0.35))
    return _blob(
        g.X,
        g.Y,
        rng.uniform(0.52, 0.60),
        rng.uniform(0.18, 0.28),
        rng.uniform(0.10, 0.14) * size,
        rng.uniform(0.20, 0.26) * size,
        rng.uniform(-0.7, -0.4),
        2.0,
        _wobble(rng, 3, 0.08),
    )


def kidneys(g: _Grid, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Left and right kidneys (bean-like ellipses beside the spine, lower half) and the
    renal sinus (hilum, lower HU) inside them. Returns (kidney mask, sinus mask)."""
    kid = np.zeros(g.shape, dtype=bool)
    sinus = np.zeros(g.shape, dtype=bool)
    for side in (-1, 1):
        zc = rng.uniform(0.62, 0.72) + (0.04 if side < 0 else 0.0)  # right kidney sits lower
        size = _profile(g.z, zc, rng.uniform(0.28, 0.34))
        cx, cy = side * rng.uniform(0.34, 0.42), rng.uniform(0.36, 0.44)
        ang = side * rng.uniform(0.2, 0.5)
        ax, ay = rng.uniform(0.10, 0.13), rng.uniform(0.15, 0.19)
        kid |= _blob(g.X, g.Y, cx, cy, ax * size, ay * size, ang, 2.0, _wobble(rng, 2, 0.05))
        sinus |= _blob(g.X, g.Y, cx - side * 0.04, cy, 0.35 * ax * size, 0.45 * ay * size, ang)
    return kid, sinus & kid


def vertebra(g: _Grid, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Vertebral body with posterior elements. Returns (bone mask, cortical rim mask)."""
    cy = rng.uniform(0.46, 0.52)
    r = rng.uniform(0.10, 0.13) * (1.0 + 0.1 * g.z)
    body = _blob(g.X, g.Y, 0.0, cy, r, r * 0.9, 0.0, 2.0)
    inner = _blob(g.X, g.Y, 0.0, cy, r - 0.025, r * 0.9 - 0.025, 0.0, 2.0)
    # vertebrae repeat along z: the posterior arch is thick within a vertebra, thin at discs
    level = 0.5 + 0.5 * np.cos(2 * np.pi * g.z * rng.uniform(4.5, 5.5) + rng.uniform(0, 6))
    arch = _blob(g.X, g.Y, 0.0, cy + r + 0.07, 0.035 + 0.05 * level, 0.06, 0.0, 2.0)
    spinous = _blob(g.X, g.Y, 0.0, cy + r + 0.17, 0.025, 0.07 * level + 0.01, 0.0, 2.0)
    bone = body | arch | spinous
    return bone, bone & ~inner


def aorta(g: _Grid, rng: np.random.Generator, spine_cy: float = 0.49) -> np.ndarray:
    """Abdominal aorta: a round vessel anterior-left of the spine (image right)."""
    r = rng.uniform(0.045, 0.06) * (1.0 - 0.15 * g.z)
    cx = rng.uniform(0.04, 0.10) + 0.02 * np.sin(2 * np.pi * g.z)
    return _blob(g.X, g.Y, cx, spine_cy - rng.uniform(0.19, 0.23), r, r)


def bowel_gas(g: _Grid, rng: np.random.Generator, free: np.ndarray) -> np.ndarray:
    """A few gas pockets in the bowel (anterior, mostly lower slices), only in ``free``."""
    gas = np.zeros(g.shape, dtype=bool)
    for _ in range(rng.integers(2, 7)):
        zc, half = rng.uniform(0.3, 1.0), rng.uniform(0.06, 0.2)
        size = _profile(g.z, zc, half)
        r = rng.uniform(0.03, 0.08)
        gas |= _blob(
            g.X,
            g.Y,
            rng.uniform(-0.45, 0.45),
            rng.uniform(-0.4, 0.1),
            r * size * rng.uniform(0.8, 1.6),
            r * size,
            rng.uniform(0, 3),
            2.0,
        )
    return gas & free


def liver_tumors(
    g: _Grid, rng: np.random.Generator, liver_mask: np.ndarray, max_tumors: int
) -> tuple[list[np.ndarray], list[np.ndarray], list[dict]]:
    """0..``max_tumors`` hypodense tumours inside the liver (SyntheticTumors recipe).

    Returns per tumour a soft weight map in [0, 1] (1 inside, smooth edge), its label mask
    (weight > 0.5, inside the liver) and a description. Radius is drawn around 4, 8, 16 or
    32 mm, the ellipsoid is deformed by a smooth random field (elastic-like).
    """
    n = int(rng.choice(np.arange(max_tumors + 1), p=_tumor_count_probs(max_tumors)))
    coords = np.argwhere(liver_mask)
    weights, masks, info = [], [], []
    if len(coords) == 0:
        return weights, masks, info
    Z, H, W = g.shape
    for _ in range(n):
        radius_mm = float(
            rng.choice([4.0, 8.0, 16.0, 32.0], p=[0.15, 0.4, 0.35, 0.1]) * rng.uniform(0.75, 1.25)
        )
        c = coords[rng.integers(len(coords))]
        radii = (
            max(radius_mm / SPACING_MM[0] * rng.uniform(0.8, 1.2), 0.6),
            radius_mm / g.px_mm * rng.uniform(0.8, 1.2),
            radius_mm / g.px_mm * rng.uniform(0.8, 1.2),
        )
        # evaluate in a box of 1.6 radii around the centre only
        lo = [max(0, int(np.floor(ci - 1.6 * r)) - 1) for ci, r in zip(c, radii, strict=True)]
        hi = [
            min(n_, int(np.ceil(ci + 1.6 * r)) + 2)
            for ci, r, n_ in zip(c, radii, (Z, H, W), strict=True)
        ]
        box = tuple(slice(a, b) for a, b in zip(lo, hi, strict=True))
        zz, yy, xx = np.ogrid[box]
        d = np.sqrt(
            ((zz - c[0]) / radii[0]) ** 2
            + ((yy - c[1]) / radii[1]) ** 2
            + ((xx - c[2]) / radii[2]) ** 2
        )
        sub = d.shape
        d = d + 0.2 * smooth_noise(rng, sub, tuple(max(2, k // 4 + 1) for k in sub))
        edge = rng.uniform(0.08, 0.2)  # edge blur (in units of the radius)
        w = np.zeros(g.shape, dtype=np.float32)
        w[box] = 1.0 / (1.0 + np.exp(np.clip((d - 1.0) / edge, -30, 30)))
        m = np.zeros(g.shape, dtype=bool)
        m[box] = d < 1.0
        m &= liver_mask
        if not m.any():
            continue
        weights.append(w)
        masks.append(m)
        info.append({"center": tuple(int(v) for v in c), "radius_mm": radius_mm})
    return weights, masks, info


def _tumor_count_probs(k: int) -> np.ndarray:
    if k <= 0:
        return np.ones(1)
    p = np.array([0.15] + [0.85 / k] * k)
    return p / p.sum()


# ---------------------------------------------------------------------------- assembly
def generate_case(
    seed: int,
    depth: int = 32,
    size: int = 96,
    max_tumors: int = 4,
    kidney_tumor_prob: float = KIDNEY_TUMOR_PROB,
    noise_hu: tuple[float, float] = (10.0, 20.0),
    blur_sigma: float = 0.7,
) -> PhantomCase:
    """Generate one phantom case, deterministically from ``seed``.

    Returns a :class:`PhantomCase` with ``image`` (depth, size, size) float32 in HU and
    ``labels`` uint8 with the values of :data:`LABELS`. Explained in: lecture A.
    """
    if depth < 4 or size < 32:
        raise ValueError(f"phantom needs depth >= 4 and size >= 32, got {depth}, {size}")
    rng = np.random.default_rng([1, seed])  # stream fixed; PHANTOM_VERSION versions the cache
    T = TISSUE_MEAN_HU  # noqa: N806  (every intensity comes from this one table)
    g = _Grid(depth, size)
    shape = g.shape
    lab = np.zeros(shape, dtype=np.uint8)
    hu = np.full(shape, T["air"][0], dtype=np.float32)

    fine = (max(2, depth // 2), max(2, size // 4), max(2, size // 4))
    coarse = (max(2, depth // 4), max(2, size // 10), max(2, size // 10))
    # a few texture fields shared by the tissues (they never overlap, so this is invisible)
    textures = {fine: [smooth_noise(rng, shape, fine) for _ in range(4)]}
    counter = [0]

    def tissue(mean: float, sd: float, cells: tuple[int, int, int]) -> np.ndarray:
        counter[0] += 1
        return mean + sd * textures[cells][counter[0] % 4]

    body, inner = body_outline(g, rng)
    lab[body] = LABELS["fat"]
    hu[body] = tissue(rng.uniform(*T["subcutaneous_fat"]), 8.0, fine)[body]
    # visceral content: bowel/mesentery soft tissue mixed with visceral fat
    visc = tissue(rng.uniform(*T["visceral"]), 10.0, fine)
    vfat = smooth_noise(rng, shape, coarse) > rng.uniform(0.6, 1.0)
    lab[inner] = LABELS["body"]
    hu[inner] = visc[inner]
    vf = inner & vfat
    lab[vf] = LABELS["fat"]
    hu[vf] = tissue(rng.uniform(*T["visceral_fat"]), 8.0, fine)[vf]

    mus = muscle(g, rng, inner)
    lab[mus] = LABELS["muscle"]
    hu[mus] = tissue(rng.uniform(*T["muscle"]), 5.0, fine)[mus]

    liver_mean = rng.uniform(*T["liver"])
    liv = liver(g, rng) & inner
    spl = spleen(g, rng) & inner & ~liv
    kid, sinus = kidneys(g, rng)
    kid &= inner & ~liv
    bone, cortex = vertebra(g, rng)
    aor = aorta(g, rng)
    for mask, name, mean, sd in (
        (liv, "liver", liver_mean, 6.0),
        (spl, "spleen", liver_mean - rng.uniform(*T["spleen_below_liver"]), 5.0),
        (kid, "kidney", rng.uniform(*T["kidney"]), 10.0),
    ):
        lab[mask] = LABELS[name]
        hu[mask] = tissue(mean, sd, fine)[mask]
    sin = sinus & kid  # renal sinus fat (with vessels): part of "fat", not of the kidney
    lab[sin] = LABELS["fat"]
    hu[sin] = tissue(rng.uniform(*T["renal_sinus"]), 10.0, fine)[sin]
    kid &= ~sin

    # kidney tumour in most cases (KiTS: every patient has a renal mass), centred inside the
    # kidney (one pixel from its edge or more) so it grows from the kidney and may bulge
    # out of it (exophytic), hypo-enhancing relative to the kidney
    if rng.uniform() < kidney_tumor_prob and kid.any():
        core = erode2d(kid, 1)
        coords = np.argwhere(core if core.any() else kid)
        c = coords[rng.integers(len(coords))]
        r_mm = rng.uniform(*KIDNEY_TUMOR_RADIUS_MM)
        r, rz = r_mm / g.px_mm, max(r_mm / SPACING_MM[0], 0.8)  # radii in pixels and slices
        zz, yy, xx = np.ogrid[: shape[0], : shape[1], : shape[2]]
        d = np.sqrt(
            ((zz - c[0]) / rz) ** 2 + ((yy - c[1]) / r) ** 2 + ((xx - c[2]) / r) ** 2
        ) + 0.15 * smooth_noise(rng, shape, coarse)
        kt = (d < 1.0) & inner & ~liv & ~spl & ~bone & ~aor
        lab[kt] = LABELS["kidney_tumor"]
        hu[kt] = tissue(rng.uniform(*T["kidney_tumor"]), 15.0, fine)[kt]

    lab[bone] = LABELS["vertebra"]
    hu[bone] = tissue(rng.uniform(*T["cancellous_bone"]), 25.0, fine)[bone]
    hu[cortex] = tissue(rng.uniform(*T["cortical_bone"]), 60.0, fine)[cortex]
    lab[aor] = LABELS["aorta"]
    hu[aor] = tissue(rng.uniform(*T["aorta"]), 5.0, fine)[aor]

    free = (lab == LABELS["body"]) | ((lab == LABELS["fat"]) & inner)
    gas = bowel_gas(g, rng, free)
    lab[gas] = LABELS["gas"]
    hu[gas] = tissue(T["gas"][0], 10.0, fine)[gas]

    # liver tumours last: hypodense by 65..145 HU, textured, soft edge, only inside liver
    weights, masks, info = liver_tumors(g, rng, lab == LABELS["liver"], max_tumors)
    for w, m, d in zip(weights, masks, info, strict=True):
        diff = rng.uniform(*T["tumor_below_liver"])
        tex = liver_mean - diff + rng.uniform(8, 20) * smooth_noise(rng, shape, fine)
        w = w * (lab == LABELS["liver"]) + w * (lab == LABELS["liver_tumor"])
        hu = (1.0 - w) * hu + w * tex
        lab[m] = LABELS["liver_tumor"]
        d["hu_difference"] = float(diff)

    hu = gaussian_blur2d(hu, blur_sigma)
    hu += rng.normal(0.0, rng.uniform(*noise_hu), size=shape).astype(np.float32)
    np.clip(hu, -1024.0, 3071.0, out=hu)
    return PhantomCase(hu.astype(np.float32), lab, SPACING_MM, tuple(info), seed)


# ---------------------------------------------------------------------------- views
def lits_view(labels: np.ndarray) -> np.ndarray:
    """LiTS convention from phantom labels: 0 background, 1 liver, 2 liver tumour.

    Explained in: lecture A ("Label conventions").
    """
    out = np.zeros(labels.shape, dtype=np.uint8)
    out[labels == LABELS["liver"]] = 1
    out[labels == LABELS["liver_tumor"]] = 2
    return out


def kits_view(labels: np.ndarray) -> np.ndarray:
    """KiTS convention from phantom labels: 0 background, 1 kidney, 2 kidney tumour.

    Explained in: lecture A ("Label conventions").
    """
    out = np.zeros(labels.shape, dtype=np.uint8)
    out[labels == LABELS["kidney"]] = 1
    out[labels == LABELS["kidney_tumor"]] = 2
    return out


def erode2d(mask: np.ndarray, iterations: int = 1) -> np.ndarray:
    """Binary erosion of each slice of a (..., H, W) mask with a 3x3 cross (no scipy)."""
    m = mask.astype(bool)
    for _ in range(iterations):
        e = m.copy()
        e[..., 1:, :] &= m[..., :-1, :]
        e[..., :-1, :] &= m[..., 1:, :]
        e[..., :, 1:] &= m[..., :, :-1]
        e[..., :, :-1] &= m[..., :, 1:]
        e[..., 0, :] = e[..., -1, :] = False
        e[..., :, 0] = e[..., :, -1] = False
        m = e
    return m


def tissue_hu_stats(
    images: np.ndarray, labels: np.ndarray, erode: int = 1
) -> dict[str, tuple[float, float, int]]:
    """Mean, standard deviation and count of HU per tissue of :data:`LABELS`.

    Masks are eroded by ``erode`` pixels in-plane first, so the blur at organ borders
    does not mix tissues (interior voxels, as one would draw a region of interest).
    Tissues with no interior voxel are left out. Explained in: lecture A, "HU per tissue".
    """
    out = {}
    for name, value in LABELS.items():
        m = erode2d(labels == value, erode) if erode else labels == value
        if m.any():
            v = images[m].astype(np.float64)
            out[name] = (float(v.mean()), float(v.std()), int(m.sum()))
    return out
