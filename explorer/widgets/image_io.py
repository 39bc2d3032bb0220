"""Open any image file as a model input: its channels and H x W, with the conversion stated."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

MAX_PIXELS = 40_000_000  # larger images (and decompression bombs) are refused before decoding
_WIDE_MODES = ("I", "I;16", "I;16B", "I;16L", "I;16N", "F")  # 16/32-bit grey, scaled to [0, 1]


class ImageFileError(ValueError):
    """A file that can't be used as an image; the message is one sentence a person can act on."""


def _from_qt(path: Path) -> Image.Image | None:
    """Formats Qt reads but Pillow doesn't (SVG, ...), as an RGBA Pillow image."""
    from PySide6.QtGui import QImage, QImageReader

    reader = QImageReader(str(path))
    if not reader.canRead():
        return None
    size = reader.size()
    if size.width() * size.height() > MAX_PIXELS:
        _too_big(path, size.width(), size.height())
    image = reader.read()
    if image.isNull():
        return None
    image = image.convertToFormat(QImage.Format.Format_RGBA8888)
    array = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), -1)
    return Image.fromarray(array[:, : image.width() * 4].reshape(image.height(), -1, 4).copy())


_SIGNATURES = (b"\x89PNG", b"\xff\xd8", b"GIF8", b"BM", b"II*\x00", b"MM\x00*", b"RIFF")


def _has_image_signature(path: Path) -> bool:
    """Starts like a PNG, JPEG, GIF, BMP, TIFF or WebP file (so unreadable means damaged)."""
    with open(path, "rb") as file:
        return file.read(8).startswith(_SIGNATURES)


def _too_big(path: Path, width: int, height: int):
    raise ImageFileError(
        f"{path.name} is {width} x {height} pixels, more than the {MAX_PIXELS // 1_000_000} "
        "megapixels that can be opened safely; shrink it in an image editor first."
    )


def _decode(path: Path, least: int) -> tuple[Image.Image, list[str]]:
    """The first frame, decoded, upright; notes on what was done."""
    notes: list[str] = []
    unreadable = ImageFileError(
        f"{path.name} is not an image that can be read; pick a PNG, JPEG, BMP, GIF, TIFF "
        "or WebP file."
    )
    damaged = ImageFileError(
        f"{path.name} is damaged or cut short and can't be decoded; pick another file."
    )
    if not path.is_file():
        raise ImageFileError(f"{path} is not a file; pick an image file that exists.")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(path)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageFileError(
                f"{path.name} claims a size far too large to open safely (a possible "
                "decompression bomb); pick another file."
            ) from None
        except Exception:  # UnidentifiedImageError, or a header Pillow choked on
            image = _from_qt(path)
            if image is None:
                raise (damaged if _has_image_signature(path) else unreadable) from None
            return image, notes
        with image:  # closed on every path: multi-frame files are otherwise kept open
            width, height = image.size
            if width * height > MAX_PIXELS:
                _too_big(path, width, height)
            frames = getattr(image, "n_frames", 1)
            if frames > 1:
                notes.append(f"first of {frames} frames")
            try:
                image.draft("RGB", (least, least))  # JPEG only: decode at a reduced scale
                image.load()
                upright = ImageOps.exif_transpose(image)  # a copy, also when nothing turns
            except Exception:  # Pillow raises many kinds for damaged data
                raise damaged from None
    return upright, notes


def _normalised(image: Image.Image, notes: list[str]) -> Image.Image:
    """Any mode -> L, RGB or F (wide grey scaled to [0, 1]); transparent parts go black."""
    if image.mode in _WIDE_MODES:
        array = np.nan_to_num(np.asarray(image, dtype=np.float32), posinf=0.0, neginf=0.0)
        top = 65535.0 if image.mode.startswith("I;16") else float(array.max())
        low = 0.0 if image.mode.startswith("I;16") else float(array.min())
        notes.append("wide grey values scaled to 0-1")
        return Image.fromarray((array - low) / max(top - low, 1e-12), mode="F")
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = np.asarray(image.convert("RGBA"), dtype=np.float32)
        if rgba[..., 3].min() < 255:
            notes.append("transparent parts made black")
        rgb = rgba[..., :3] * (rgba[..., 3:] / 255.0)
        return Image.fromarray(np.round(rgb).astype(np.uint8))
    if image.mode in ("L", "RGB"):
        return image
    try:
        return image.convert("L" if image.mode in ("1", "P") and _is_grey(image) else "RGB")
    except ValueError:
        raise ImageFileError(
            f"images in colour mode {image.mode} can't be converted; save it as an RGB PNG first."
        ) from None


def _is_grey(image: Image.Image) -> bool:
    if image.mode == "1":
        return True
    rgb = np.asarray(image.convert("RGB"))
    return bool((rgb[..., 0] == rgb[..., 1]).all() and (rgb[..., 1] == rgb[..., 2]).all())


def fit(image: Image.Image, channels: int, height: int, width: int, notes: list[str]) -> np.ndarray:
    """Crop the centre to H:W, resize to H x W, match channels: float32 [H, W] or [H, W, C]."""
    w, h = image.size
    if w * height > h * width:  # too wide: keep the middle columns
        keep = h * width / height
        box, cropped = ((w - keep) / 2, 0.0, (w + keep) / 2, float(h)), w - keep > 0.5
    else:
        keep = w * height / width
        box, cropped = (0.0, (h - keep) / 2, float(w), (h + keep) / 2), h - keep > 0.5
    if cropped:
        notes.append("centre cropped to the model's shape")
    if (w, h) != (width, height):
        shrink = box[2] - box[0] > width
        notes.append("shrunk by averaging" if shrink else "enlarged")
        resample = Image.Resampling.BOX if shrink else Image.Resampling.BILINEAR
        image = image.resize(
            (width, height), resample, box=box, reducing_gap=3.0 if shrink else None
        )
    array = np.asarray(image, dtype=np.float32)
    if image.mode != "F":
        array = array / 255.0
    if array.ndim == 3 and channels == 1:
        array = array @ np.array([0.299, 0.587, 0.114], np.float32)  # ITU-R 601 luma
        notes.append("colour turned to grey")
    elif array.ndim == 2 and channels == 3:
        array = np.repeat(array[..., None], 3, axis=2)
        notes.append("grey copied to the three colour channels")
    return np.clip(array, 0.0, 1.0).astype(np.float32)


def describe(size: tuple[int, int], colour: bool) -> str:
    return f"{size[0]} x {size[1]} {'colour' if colour else 'grey'}"


def open_image(path, channels: int, height: int, width: int) -> tuple[np.ndarray, str]:
    """Read any image file as float32 [H, W] (channels 1) or [H, W, 3], with a note on how."""
    path = Path(path)
    image, notes = _decode(path, max(256, 2 * height, 2 * width))
    size = image.size
    image = _normalised(image, notes)
    source = describe(size, image.mode == "RGB")
    array = fit(image, channels, height, width, notes)
    target = describe((width, height), channels == 3)
    how = f" ({', '.join(notes)})" if notes else ""
    return array, f"{path.name}: {source} -> {target}{how}."


def accept_file_drag(event) -> None:
    """dragEnterEvent: take a drag that carries a local file."""
    if any(url.isLocalFile() for url in event.mimeData().urls()):
        event.acceptProposedAction()


def dropped_file(event) -> str | None:
    """dropEvent: the first local file dropped (the drop accepted), or None."""
    files = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
    if files:
        event.acceptProposedAction()
        return files[0]
    return None
