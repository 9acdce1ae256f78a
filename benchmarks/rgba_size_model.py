"""Fit and check the alpha correction of the predictor's size curves (issue 13: sizes 2-3.5x too small on RGBA).

``fit``: builds RGBA training images from BSD300 *training* photographs 60-99 (``shared/data/train``, never Kodak;
disjoint from the first 24 that ``benchmarks/rgba_race_cost.py`` evaluates on) with alpha planes of several kinds
and random parameters (radial and linear fades, blurred ellipses, binary checkerboards and discs, smooth clouds, and
flat-colour "logos" with a soft-edged box), encodes each at four settings of AVIF, JPEG XL and WebP with and without
its alpha plane, and fits per codec, by least squares on the relative error,

    bytes(RGBA) = bytes(colour planes alone) * (1 - hidden_scale * hidden) + alpha_scale * alpha_estimate + overhead

where ``hidden`` is the fraction of fully transparent pixels (libwebp and libjxl drop their colour) and
``alpha_estimate`` the entropy estimate of the alpha plane's lossless size (``search.lossless``); all three codecs
code alpha losslessly at every quality here, so its cost hardly depends on the setting. Prints the constants for
``search.predict.ALPHA_SIZE`` and the spread of the fit.

``check FOLDER``: on RGBA files (e.g. ``rgba_race_cost.py``'s ``OUT/in``), the predicted file size at the predicted
setting against the real encode there, per kind of image and codec (geometric mean and range of real / predicted),
with the shipped predictor (run with another checkout's ``src`` on ``PYTHONPATH`` for the before figures).

    python benchmarks/rgba_size_model.py fit -o OUT [--images 40]
    python benchmarks/rgba_size_model.py check OUT_RACE/in [--profile C1]
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np
from _paths import DATA
from PIL import Image as PILImage

from qualipress.codecs import get
from qualipress.io.readers import read_image
from qualipress.search.lossless import estimate_lossless_bytes

TRAIN = DATA / "train" / "bsd300_train200"
CODECS = ("avif", "jpegxl", "webp")
KINDS = ("radial", "linear", "ellipse", "checker", "disc", "cloud", "logo")


def _alpha(kind: str, h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """An (h, w) uint8 alpha plane of ``kind`` with random parameters."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    if kind == "radial":
        r = np.hypot((y - h / 2) / (h / 2), (x - w / 2) / (w / 2))
        inner, width = rng.uniform(0.2, 0.8), rng.uniform(0.1, 0.6)
        a = np.clip((inner + width - r) / width, 0, 1)
    elif kind == "linear":
        t = rng.uniform(0, np.pi)
        s = (np.cos(t) * x / w + np.sin(t) * y / h)
        s = (s - s.min()) / max(1e-6, float(s.max() - s.min()))
        lo = rng.uniform(0.0, 0.5)
        a = np.clip((s - lo) / rng.uniform(0.2, 0.5), 0, 1)
    elif kind == "ellipse":
        m = np.zeros((h, w), np.uint8)
        cv2.ellipse(m, (w // 2, h // 2), (int(w * rng.uniform(0.2, 0.45)), int(h * rng.uniform(0.2, 0.45))),
                    float(rng.uniform(0, 180)), 0, 360, 255, -1)
        k = int(rng.choice([3, 9, 21, 41]))
        return cv2.GaussianBlur(m, (k, k), 0)
    elif kind == "checker":
        s = int(rng.integers(12, 80))
        return ((((y // s) + (x // s)) % 2 == 0) * 255).astype(np.uint8)
    elif kind == "disc":
        a = (np.hypot(y - h / 2, x - w / 2) < min(h, w) * rng.uniform(0.2, 0.5)).astype(np.float32)
    elif kind == "cloud":
        small = rng.uniform(0, 1, (4, 6)).astype(np.float32)
        a = np.clip((cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC) - 0.3) * 2.5, 0, 1)
    else:  # logo: a soft-edged box
        m = np.zeros((h, w), np.uint8)
        cv2.rectangle(m, (w // 8, h // 8), (7 * w // 8, 7 * h // 8), 255, -1)
        k = int(rng.choice([3, 5, 9]))
        return cv2.GaussianBlur(m, (k, k), 0)
    return np.round(a * 255).astype(np.uint8)


def _logo(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """Flat colours: a background, a disc and anti-aliased text."""
    rgb = np.zeros((h, w, 3), np.uint8)
    rgb[:] = rng.integers(0, 256, 3)
    cv2.circle(rgb, (w // 2, h // 2), min(h, w) // 3, tuple(int(v) for v in rng.integers(0, 256, 3)), -1)
    cv2.putText(rgb, "QP", (w // 6, h // 2), cv2.FONT_HERSHEY_SIMPLEX, 3,
                tuple(int(v) for v in rng.integers(0, 256, 3)), 8, cv2.LINE_AA)
    return rgb


def make_training(out: Path, n: int, train: Path) -> list[Path]:
    """``n`` RGBA training files under ``out`` (kinds cycle; photographs 60 onwards)."""
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(13)
    paths = []
    for i, src in enumerate(sorted(train.glob("*.png"))[60: 60 + n]):
        rgb = np.asarray(PILImage.open(src).convert("RGB")).copy()
        h, w = rgb.shape[:2]
        kind = KINDS[i % len(KINDS)]
        if kind == "logo":
            rgb = _logo(h, w, rng)
        alpha = _alpha(kind, h, w, rng)
        path = out / f"{kind}_{src.name}"
        PILImage.fromarray(np.dstack([rgb, alpha]), "RGBA").save(path)
        paths.append(path)
    return paths


def _settings(codec: str) -> list[float]:
    sweep = list(get(codec).info.sweep)
    return [sweep[k] for k in np.linspace(0, len(sweep) - 1, 4).round().astype(int)]


def fit(args: argparse.Namespace) -> None:
    files = make_training(args.out / "train_rgba", args.images, args.train)
    rows = []
    for f in files:
        img = read_image(f)
        colour = img.with_pixels(np.ascontiguousarray(img.pixels[..., :3]))
        alpha = img.alpha()
        est = estimate_lossless_bytes(img.with_pixels(np.ascontiguousarray(alpha[..., None])))
        hidden = float(np.mean(alpha == 0))
        for name in CODECS:
            c = get(name)
            for q in _settings(name):
                rows.append({"file": f.name, "codec": name, "setting": q, "rgba": len(c.encode(img, quality=q)),
                             "colour": len(c.encode(colour, quality=q)), "alpha_estimate": est, "hidden": hidden})
        print(f.name, flush=True)
    (args.out / "rgba_size_rows.json").write_text(json.dumps(rows, indent=1))
    print("| codec | hidden_scale | alpha_scale | overhead (B) | real / fitted: geo-mean, 5-95 % | colour alone: "
          "geo-mean, 5-95 % |")
    print("|---|---|---|---|---|---|")
    for name in CODECS:
        r = [x for x in rows if x["codec"] == name]
        b = np.array([x["rgba"] for x in r], float)
        col = np.array([x["colour"] for x in r], float)
        design = np.stack([-col * np.array([x["hidden"] for x in r]), np.array([x["alpha_estimate"] for x in r]),
                           np.ones(len(r))], axis=1)
        # relative least squares: (b - col) / b = design @ theta / b
        theta, *_ = np.linalg.lstsq(design / b[:, None], (b - col) / b, rcond=None)
        fitted = col + design @ theta
        ratio = b / fitted
        plain = b / col
        print(f"| {name} | {theta[0]:.3f} | {theta[1]:.3f} | {theta[2]:.0f} | {np.exp(np.log(ratio).mean()):.3f}, "
              f"{np.quantile(ratio, 0.05):.2f}-{np.quantile(ratio, 0.95):.2f} | "
              f"{np.exp(np.log(plain).mean()):.3f}, {np.quantile(plain, 0.05):.2f}-{np.quantile(plain, 0.95):.2f} |")


def check(args: argparse.Namespace) -> None:
    from qualipress.profiles import get_profile
    from qualipress.search.search import _predicted

    target = get_profile(args.profile).target
    ratios: dict[tuple[str, str], list[float]] = defaultdict(list)
    for f in sorted(args.folder.glob("*.png"))[: args.limit]:
        img = read_image(f)
        kind = f.name.split("_")[0]
        for name in CODECS:
            c = get(name)
            grid = list(c.info.quality.grid)
            p = _predicted(img, c, target, len(grid))
            if p is None or p.size_curve is None:
                continue
            k = int(round(p.index))
            predicted = 10 ** float(np.interp(k, p.size_curve[0], p.size_curve[1])) * img.width * img.height / 8
            ratios[(kind, name)].append(len(c.encode(img, quality=grid[k])) / predicted)
    print("| kind | codec | images | real / predicted bytes at the predicted setting: geo-mean (min-max) |")
    print("|---|---|---|---|")
    for (kind, name), v in sorted(ratios.items()):
        a = np.asarray(v)
        print(f"| {kind} | {name} | {a.size} | {np.exp(np.log(a).mean()):.2f} ({a.min():.2f}-{a.max():.2f}) |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fit")
    f.add_argument("-o", "--out", type=Path, required=True)
    f.add_argument("--images", type=int, default=42)
    f.add_argument("--train", type=Path, default=TRAIN)
    c = sub.add_parser("check")
    c.add_argument("folder", type=Path)
    c.add_argument("--limit", type=int, default=24)
    c.add_argument("--profile", default="C1")
    args = ap.parse_args()
    fit(args) if args.cmd == "fit" else check(args)


if __name__ == "__main__":
    main()
