"""The ``patch`` section of a case: a periodic Li | rough separator interface patch
(:mod:`fem.geometry.patch`), its roughness and pores, and its default mesh sizes."""

from __future__ import annotations

from pathlib import Path

from fem.case.files import file_kind
from fem.case.model import Cell, PatchSettings, Pores, Roughness
from fem.errors import CaseError
from fem.units import to_si


def resolve_patch(raw: dict, cell: Cell, source: str) -> PatchSettings | None:
    """The ``patch`` section in SI (None without one)."""
    p = raw.get("patch")
    if p is None:
        return None
    dim = p.get("dimension", "2d")
    width = to_si(p["width"], "length", "patch.width")

    def length(key: str, default: float) -> float:
        return to_si(p[key], "length", f"patch.{key}") if key in p else default

    seps = cell.layers_with_role("separator")
    sep = p.get("separator_layer", seps[0].name if seps else "")
    if sep not in [la.name for la in seps]:
        raise CaseError("patch.separator_layer", sep or None,
                        f"must name a separator layer of the cell: {[la.name for la in seps]}")
    lis = cell.layers_with_role("li")
    if "li_layer" in p:
        li = p["li_layer"]
    else:  # the Li on top of the separator, else the one below
        z1 = cell.layer(sep).z1
        above = [la for la in lis if abs(la.z0 - z1) <= 1e-9 * max(z1, 1e-3)]
        li = (above or lis or [None])[0]
        li = li.name if li is not None else ""
    if li not in [la.name for la in lis]:
        raise CaseError("patch.li_layer", li or None,
                        f"must name a Li layer of the cell: {[la.name for la in lis]}")
    r = p.get("roughness", {"type": "flat"})
    rough = Roughness(type=r["type"], hurst=float(r.get("hurst", 0.8)), seed=int(r.get("seed", 0)),
                      points=int(r.get("points", 128 if dim == "2d" else 32)))
    need = {"sinusoid": ("amplitude", "wavelength"), "self_affine": ("rms", "correlation_length"),
            "file": ("file",), "flat": ()}[rough.type]
    for k in need:
        if k not in r:
            raise CaseError(f"patch.roughness.{k}", None, f"required for type = '{rough.type}'")
    for k in ("amplitude", "wavelength", "rms", "correlation_length"):
        if k in r:
            setattr(rough, k, to_si(r[k], "length", f"patch.roughness.{k}"))
    if rough.type == "sinusoid":
        n = width / rough.wavelength
        if not n < 1e6 or abs(n - round(n)) > 1e-6 * n or round(n) < 1:
            raise CaseError("patch.roughness.wavelength", r["wavelength"],
                            f"the width ({p['width']}) must hold a whole number of wavelengths")
    if rough.type == "self_affine" and not (2 * width / rough.points <= rough.correlation_length
                                            <= width / 4):
        raise CaseError("patch.roughness.correlation_length", r["correlation_length"],
                        "must be between 2 grid spacings (width/points) and width/4")
    if rough.type == "file":
        try:
            f = Path(r["file"]).expanduser()
        except RuntimeError:  # "~nosuchuser/..."
            f = Path(r["file"])
        if not f.is_absolute() and file_kind(Path(source)) is None:
            f = Path(source).resolve().parent / f
        kind = file_kind(f)
        if kind == "missing":
            raise CaseError("patch.roughness.file", r["file"], f"no such file ({f})")
        if kind is not None:
            raise CaseError("patch.roughness.file", r["file"], f"not a regular file: {f} is "
                            f"{kind}; give a CSV height map")
        rough.file = str(f.resolve())
        rough.height_scale = to_si(r.get("height_scale", "1 m"), "length",
                                   "patch.roughness.height_scale")
    pores = None
    if "pores" in p:
        q = p["pores"]
        radius = to_si(q["radius"], "length", "patch.pores.radius")
        depth = to_si(q["depth"], "length", "patch.pores.depth")
        ndim = 1 if dim == "2d" else 2
        positions = []
        for i, c in enumerate(q.get("positions", [[0.5] * ndim])):
            c = [c] if isinstance(c, int | float) else list(c)
            if len(c) != ndim:
                raise CaseError(f"patch.pores.positions[{i}]", c,
                                f"expected {ndim} fraction(s) of the width for a {dim} patch")
            if any(not radius <= f * width <= width - radius for f in c):
                raise CaseError(f"patch.pores.positions[{i}]", c,
                                "the pore must lie inside the patch (not across its sides)")
            positions.append([f * width for f in c])
        pores = Pores(radius, depth, positions)
    patch = PatchSettings(dim, width, length("li_thickness", width / 2),
                          length("separator_thickness", width / 2), li, sep,
                          length("gap", 0.0), rough, pores,
                          length("li_feature_size", 0.0) or None)
    if pores is not None and pores.depth >= patch.separator_thickness:
        raise CaseError("patch.pores.depth", p["pores"]["depth"],
                        "must be smaller than patch.separator_thickness")
    return patch


def patch_sizes(patch: PatchSettings) -> tuple[float, float]:
    """Default (size_min, size_max) of a patch mesh: resolve the roughness and the pores."""
    r = patch.roughness
    feature = {"sinusoid": r.wavelength / 8, "self_affine": r.correlation_length / 8,
               "file": 2 * patch.width / max(r.points, 8), "flat": patch.width / 10}[r.type]
    if r.type != "flat":
        feature = min(feature, 2 * patch.width / r.points)
    if patch.pores is not None:
        feature = min(feature, patch.pores.radius / 3)
    size_max = max(feature, min(patch.width, patch.li_thickness, patch.separator_thickness) / 4)
    return feature, size_max

