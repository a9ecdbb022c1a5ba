"""Pieces of the static figures: areas with the hatched "no access" class, sites, legend titles.

Shared by the figures of :mod:`accessplan.maps.figures`; matplotlib only, no ``pyplot``.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import patheffects, rc_context
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from accessplan.data.files import atomic_file
from accessplan.maps.class_labels import scale_label
from accessplan.maps.classes import NO_ACCESS_COLOR, NO_ACCESS_HATCH, NO_ACCESS_LABEL
from accessplan.maps.raster_overlay import (
    MAX_VECTOR_AREAS,
    figure_image,
    pixel_text,
    use_raster,
)

__all__ = [
    "AREA_IMAGE_LABEL",
    "HATCH",
    "NEW_SITE_COLOR",
    "POINT_SIZE",
    "draw_areas",
    "draw_sites",
    "is_points",
    "label_sites",
    "legend_title",
    "no_access_patch",
    "save_png",
]

#: label of the image of areas drawn as one (followed by its pixel size in metres)
AREA_IMAGE_LABEL = "accessplan-areas:"
#: matplotlib hatch of the "no access" class (diagonal lines in NO_ACCESS_HATCH)
HATCH = "////"
#: marker size (points^2) of point areas
POINT_SIZE = 36
NEW_SITE_COLOR = "#e6007e"


def legend_title(access_units: str | None, access_scale: float) -> str:
    """``"access (units)"``, or ``"access (per 1,000)"`` from the scale alone, or ``"access"``."""
    if access_units:
        return f"access ({access_units})"
    per = scale_label(access_scale)
    return f"access ({per})" if per else "access"


def no_access_patch(label: str = NO_ACCESS_LABEL) -> Patch:
    """The legend swatch of "no access": the light fill hatched like the map."""
    return Patch(
        facecolor=NO_ACCESS_COLOR, edgecolor=NO_ACCESS_HATCH, hatch=HATCH, lw=0.6, label=label
    )


def is_points(areas) -> bool:
    """Whether every geometry of ``areas`` is a point (drawn as circles)."""
    kinds = set(areas.geometry.geom_type.dropna())
    return bool(kinds) and kinds <= {"Point", "MultiPoint"}


def draw_areas(
    ax, areas, face, hatched: np.ndarray, *, max_vector_areas: int | None = MAX_VECTOR_AREAS
) -> float | None:
    """Fill every area (one collection), then hatch the ``hatched`` ones over it.

    With more than ``max_vector_areas`` areas they are drawn as one image in
    their CRS instead (:func:`accessplan.maps.raster_overlay.figure_image`:
    the same fills, "no access" hatched on its interior pixels) and a small
    grey line under the axis gives the pixel size. Returns the pixel size in
    metres, or None when the areas were drawn as shapes.
    """
    if use_raster(len(areas), max_vector_areas):
        image, mask, extent, pixel_m = figure_image(areas, face, hatched)
        ax.imshow(
            image,
            extent=extent,
            origin="upper",
            interpolation="nearest",
            zorder=1,
            label=f"{AREA_IMAGE_LABEL}{float(pixel_m)!r}",
        )
        if mask.any():  # hatched by matplotlib at the output resolution, like the legend
            with rc_context({"hatch.color": NO_ACCESS_HATCH}):
                ax.contourf(
                    mask.astype(np.float32),
                    levels=[0.5, 1.5],
                    colors="none",
                    hatches=[HATCH],
                    extent=extent,
                    origin="upper",
                    zorder=1.5,
                )
        ax.text(
            0.0,
            -0.01,
            f"{len(areas):,} areas drawn as an image, 1 pixel = {pixel_text(pixel_m)}",
            transform=ax.transAxes,
            fontsize=7,
            color="#555555",
            va="top",
        )
        return pixel_m
    points = is_points(areas)
    if points:
        areas.plot(ax=ax, color=face, markersize=POINT_SIZE, edgecolor="#636363", linewidth=0.4)
    else:
        areas.plot(ax=ax, color=face, edgecolor="white", linewidth=0.2)
    if hatched.any():
        extra = {"markersize": POINT_SIZE} if points else {}
        areas[hatched].plot(
            ax=ax,
            facecolor="none",
            edgecolor=NO_ACCESS_HATCH,
            hatch=HATCH,
            linewidth=0.4 if points else 0.0,
            **extra,
        )
    return None


def label_sites(ax, sites) -> None:
    """Write each site's ``name`` (else ``site_id``) beside it, on a white halo."""
    names = sites["name"] if "name" in sites.columns else sites.get("site_id")
    if names is None:
        return
    halo = [patheffects.withStroke(linewidth=2.5, foreground="white")]
    for geom, name in zip(sites.geometry, names, strict=True):
        if geom is None or geom.is_empty or name is None or pd.isna(name):
            continue
        ax.annotate(
            str(name),
            (geom.x, geom.y),
            xytext=(5, 5),
            textcoords="offset points",
            fontsize=7,
            path_effects=halo,
            zorder=5,
        )


def draw_sites(axes, sites, new_column: str, handles: list, *, label_new: bool) -> None:
    """Existing sites (triangles) on every axis, new ones (stars) on the last; extend ``handles``."""
    if sites is None or not len(sites):
        return
    is_new = sites[new_column].fillna(False).astype(bool).to_numpy()
    old = sites[~is_new]
    new = sites[is_new]
    # many hospitals: smaller triangles (same total ink as 200), so the map stays readable
    size = 18.0 * min(1.0, 200.0 / max(len(old), 1))
    for ax in axes:
        if len(old):
            old.plot(ax=ax, color="black", marker="^", markersize=max(size, 2.0), zorder=3)
    if len(new):
        new.plot(
            ax=axes[-1],
            color=NEW_SITE_COLOR,
            marker="*",
            markersize=140,
            zorder=4,
            edgecolor="black",
            linewidth=0.5,
        )
        if label_new:
            label_sites(axes[-1], new)
    if len(old):
        handles.append(Line2D([], [], color="black", marker="^", ls="", label="existing site"))
    if len(new):
        handles.append(
            Line2D(
                [],
                [],
                color=NEW_SITE_COLOR,
                marker="*",
                ms=12,
                ls="",
                markeredgecolor="black",
                label="new site",
            )
        )


def save_png(
    fig, path, *, dpi: float, metadata: Mapping[str, str] | None = None, colors: int | None = None
) -> Path:
    """Write ``fig`` as a PNG atomically (folder created) and release its artists.

    Every figure of accessplan (plan, policy, coverage, redeploy) is saved
    here: ``Software = accessplan`` plus ``metadata`` in the PNG's text
    chunks (what tests read back), written through
    :func:`accessplan.data.files.atomic_file`. ``colors`` (e.g. 256) writes an
    8-bit palette PNG of that many colours instead of RGBA: a map of hundreds
    of thousands of areas drawn as an image then takes a fifth of the bytes.

    Returns
    -------
    Path
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {"Software": "accessplan", **(metadata or {})}
    try:
        with atomic_file(path, binary=True) as fh:
            if colors is None:
                fig.savefig(fh, format="png", dpi=dpi, metadata=meta)
            else:
                _save_palette(fig, fh, dpi=dpi, metadata=meta, colors=int(colors))
    finally:
        fig.clear()
    return path


def _save_palette(fig, fh, *, dpi, metadata, colors) -> None:
    """Save as a palette PNG of the ``colors`` most frequent colours, each kept exact.

    Class fills, markers, text and white are the frequent colours; the rare
    antialiasing shades go to their nearest palette colour (no dithering).
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    buffer.seek(0)
    info = PngInfo()
    for key, value in metadata.items():
        info.add_text(key, value)
    with Image.open(buffer) as image:
        rgb = image.convert("RGB")
    pixels = np.asarray(rgb).astype(np.int64)
    codes = (pixels[..., 0] << 16) | (pixels[..., 1] << 8) | pixels[..., 2]
    values, inverse, counts = np.unique(codes, return_inverse=True, return_counts=True)
    top = np.argsort(counts, kind="stable")[::-1][:colors]
    palette = np.c_[(values >> 16) & 255, (values >> 8) & 255, values & 255]
    kept = palette[top]
    # each distinct colour -> the nearest kept colour (itself when kept)
    nearest = np.empty(len(values), dtype=np.uint8)
    for start in range(0, len(values), 4096):
        chunk = palette[start : start + 4096, None, :] - kept[None, :, :]
        nearest[start : start + 4096] = np.argmin((chunk**2).sum(axis=2), axis=1)
    quantized = Image.fromarray(nearest[inverse.reshape(codes.shape)], mode="P")
    quantized.putpalette(kept.astype(np.uint8).ravel().tolist())
    quantized.save(fh, format="PNG", pnginfo=info, optimize=True)
