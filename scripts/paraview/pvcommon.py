"""Shared helpers of the pvpython scripts in this folder (render.py, line_plot.py, make_state.py).

Run the scripts with ParaView's Python, headless: ``xvfb-run -a pvpython SCRIPT.py --help``.

assb-fem writes ``fields.xdmf`` with dolfinx: one temporal grid collection per field (P1
``displacement``, DG0 ``von_mises``, ``stress_zz``, ...) on one shared mesh, in metres. ParaView's
``Xdmf3ReaderT`` turns that into a multiblock dataset with one block per field;
:class:`Fields` extracts the blocks and appends their arrays into one unstructured grid, so that
every field can be shown on one surface. A 2D axisymmetric run is an (r, z) section in the x-y
plane (``dimension == 2``, stack axis y); a 3D run has the stack axis along z.

Nothing here is imported at module level from ParaView, so ``--help`` works without it.
"""

from __future__ import annotations

import csv
import json
import math
import re
import sys
from pathlib import Path

#: Display name, unit and factor from SI of the fields assb-fem writes (others: stresses and
#: pressures in MPa, anything else as stored).
FIELD_UNITS = {
    "von_mises": ("von Mises stress", "MPa", 1e-6),
    "stress_zz": ("stack-normal stress", "MPa", 1e-6),
    "displacement": ("displacement", "µm", 1e6),
    "pressure_hydrostatic": ("hydrostatic pressure", "MPa", 1e-6),
    "creep_strain_eq": ("equivalent creep strain", "", 1.0),
    "creep_rate_eq": ("equivalent creep strain rate", "1/s", 1.0),
}

_LENGTH = {"m": 1.0, "mm": 1e-3, "um": 1e-6, "µm": 1e-6, "cm": 1e-2}


def add_time_arguments(ap, all_times_help: str = "every stored time") -> None:
    """The --time / --index / --all-times options shared by the scripts."""
    when = ap.add_mutually_exclusive_group()
    when.add_argument("--time", nargs="+", metavar="T",
                      help="time(s) in seconds (nearest stored step), or first / last "
                           "(default: last)")
    when.add_argument("--index", nargs="+", type=int, metavar="N",
                      help="stored time step number(s), 0-based; negative counts from the end")
    when.add_argument("--all-times", action="store_true", help=all_times_help)


def field_units(name: str) -> tuple[str, str, float]:
    """(display name, unit, factor from SI) of a field."""
    if name in FIELD_UNITS:
        return FIELD_UNITS[name]
    if "stress" in name or "pressure" in name:
        return (name.replace("_", " "), "MPa", 1e-6)
    return (name.replace("_", " "), "", 1.0)


def parse_length(text: str) -> float:
    """'2.5 mm', '250um', '0.001' (metres) -> metres."""
    m = re.fullmatch(r"\s*([-+0-9.eE]+)\s*([a-zµ]*)\s*", str(text))
    if not m or (m.group(2) and m.group(2) not in _LENGTH):
        raise ValueError(f"{text!r}: expected a length, e.g. '2.5 mm', '250 um' or '0.001' (m)")
    return float(m.group(1)) * _LENGTH.get(m.group(2) or "m", 1.0)


def resolve_xdmf(path: str | Path) -> Path:
    """A run folder or an .xdmf file -> the .xdmf file (exits with a message if absent)."""
    p = Path(path)
    if p.is_dir():
        p = p / "fields.xdmf"
    if not p.is_file():
        sys.exit(f"error: {p} not found (give a run folder or its fields.xdmf)")
    return p.resolve()


def step_labels(xdmf: Path) -> dict[float, str]:
    """time_s -> protocol step label, from the history.csv next to fields.xdmf (if any)."""
    path = xdmf.parent / "history.csv"
    out: dict[float, str] = {}
    try:
        with path.open() as f:
            for row in csv.DictReader(f):
                out[float(row["time_s"])] = row.get("step_label", "")
    except (OSError, KeyError, ValueError):
        pass
    return out


def case_name(xdmf: Path) -> str:
    try:
        return json.loads((xdmf.parent / "summary.json").read_text())["case"]
    except (OSError, ValueError, KeyError):
        return xdmf.parent.name


def fmt_time(t: float) -> str:
    """Seconds -> a short readable time ('30 min', '12.5 h')."""
    if abs(t) < 60:
        return f"{t:.3g} s"
    if abs(t) < 3600:
        return f"{t / 60:.3g} min"
    return f"{t / 3600:.4g} h"


def _as_list(value) -> list[float]:
    if value is None:
        return []
    try:
        return [float(v) for v in value]
    except TypeError:
        return [float(value)]


class Fields:
    """``fields.xdmf`` read with ``Xdmf3ReaderT``; :attr:`data` holds every field on one grid."""

    def __init__(self, xdmf: Path):
        from paraview.simple import AppendAttributes, ExtractBlock, MergeBlocks, Xdmf3ReaderT

        self.xdmf = xdmf
        self.reader = Xdmf3ReaderT(registrationName=xdmf.name, FileName=[str(xdmf)])
        self.reader.UpdatePipelineInformation()
        self.times = _as_list(self.reader.TimestepValues)
        self.reader.UpdatePipeline(self.first_time)
        info = self.reader.GetDataInformation().DataInformation
        blocks = []
        if info.IsCompositeDataSet() and info.GetHierarchy() is not None:
            h = info.GetHierarchy()
            for node in h.GetChildNodes(0, True):
                if h.GetNumberOfChildren(node) == 0:
                    blocks.append(h.GetNodePath(node))
        if not blocks:                       # a plain dataset: use it as it is
            self.data = self.reader
            self.blocks = []
        else:
            merged = []
            for path in blocks:
                name = path.rsplit("/", 1)[-1]
                e = ExtractBlock(registrationName=f"extract {name}", Input=self.reader,
                                 Selectors=[path])
                m = MergeBlocks(registrationName=f"merge {name}", Input=e)
                m.UpdatePipeline(self.first_time)
                di = m.GetDataInformation()
                merged.append(((di.GetNumberOfPoints(), di.GetNumberOfCells()), m))
            # Blocks on the same mesh (same point and cell counts) carry one field each.
            sizes = [s for s, _ in merged if s[0] > 0]
            main = max(set(sizes), key=lambda s: (sizes.count(s), s)) if sizes else merged[0][0]
            same = [m for s, m in merged if s == main]
            self.blocks = same
            self.data = same[0] if len(same) == 1 else AppendAttributes(
                registrationName="fields", Input=same)
        self.data.UpdatePipeline(self.first_time)
        self.point_fields = {k: self.data.PointData[k].GetNumberOfComponents()
                             for k in self.data.PointData.keys()}
        self.cell_fields = {k: self.data.CellData[k].GetNumberOfComponents()
                            for k in self.data.CellData.keys()}
        b = self.data.GetDataInformation().GetBounds()
        self.bounds = tuple(float(x) for x in b)
        extent_z = self.bounds[5] - self.bounds[4]
        size = max(self.bounds[1] - self.bounds[0], self.bounds[3] - self.bounds[2], 1e-300)
        self.dimension = 2 if extent_z <= 1e-9 * size else 3
        #: The stack axis: 1 (y = z of the (r, z) section) in 2D, 2 (z) in 3D.
        self.axis = 1 if self.dimension == 2 else 2
        #: Length unit for display: mm for a cell stack, µm for a micro-scale patch.
        self.length_unit, self.length_factor = ("mm", 1e3) if size > 2e-4 else ("µm", 1e6)

    def length(self, x: float) -> str:
        """A length in metres in the display unit, e.g. '2.5 mm'."""
        return f"{x * self.length_factor:.4g} {self.length_unit}"

    @property
    def z_array(self) -> str:
        """Name of the stack-axis coordinate array in display units (z_mm or z_um)."""
        return "z_" + self.length_unit.replace("µ", "u")

    @property
    def z_function(self) -> str:
        """Calculator function for the stack-axis coordinate in display units."""
        return f"coords{'Y' if self.dimension == 2 else 'Z'}*{self.length_factor:g}"

    @property
    def first_time(self) -> float:
        return self.times[0] if self.times else 0.0

    @property
    def stack_height(self) -> float:
        return self.bounds[2 * self.axis + 1] - self.bounds[2 * self.axis]

    def association(self, field: str) -> str:
        """'POINTS' or 'CELLS' (exits with the available fields if the field is absent)."""
        if field in self.point_fields:
            return "POINTS"
        if field in self.cell_fields:
            return "CELLS"
        sys.exit(f"error: no field {field!r} in {self.xdmf}; available: "
                 f"{', '.join(sorted({**self.point_fields, **self.cell_fields}))}")

    def components(self, field: str) -> int:
        return {**self.point_fields, **self.cell_fields}[field]

    def select_times(self, times: list[str] | None, indices: list[int] | None,
                     all_times: bool) -> list[float]:
        """The stored times to use: all, by index, or nearest to the given values (seconds,
        'first', 'last'); default the last."""
        if not self.times:
            return [0.0]
        if all_times:
            return list(self.times)
        out = [self.times[i] for i in (indices or [])]
        for t in times or []:
            if str(t).lower() == "first":
                out.append(self.times[0])
            elif str(t).lower() == "last":
                out.append(self.times[-1])
            else:
                want = float(t)
                near = min(self.times, key=lambda s: abs(s - want))
                if abs(near - want) > 1e-9 * max(1.0, abs(want)):
                    print(f"note: no field output at t = {want:g} s; using t = {near:g} s",
                          file=sys.stderr)
                out.append(near)
        return out or [self.times[-1]]

    def range_over(self, field: str, times: list[float], component: int = -1) -> tuple[float, float]:
        """Data range of a field (component -1: magnitude) over the given times."""
        lo, hi = math.inf, -math.inf
        arrays = self.data.PointData if field in self.point_fields else self.data.CellData
        for t in times:
            self.data.UpdatePipeline(t)
            a, b = arrays[field].GetRange(component)
            lo, hi = min(lo, a), max(hi, b)
        return lo, hi

    def info(self) -> dict:
        return {"file": str(self.xdmf), "reader": "Xdmf3ReaderT", "times": self.times,
                "number_of_times": len(self.times), "dimension": self.dimension,
                "bounds": self.bounds, "point_fields": self.point_fields,
                "cell_fields": self.cell_fields}


def warp_factor(fields: Fields, warp: str, fraction: float, times: list[float]) -> float:
    """The displacement scale factor: 'off' -> 0, a number, or 'auto': the largest
    displacement over ``times`` shows as ``fraction`` of the stack height."""
    if warp == "off" or "displacement" not in fields.point_fields:
        return 0.0
    if warp != "auto":
        return float(warp)
    _, umax = fields.range_over("displacement", times, -1)
    if not umax > 0:
        return 0.0
    return fraction * fields.stack_height / umax


def display_pipeline(fields: Fields, field: str, scale: float, name_suffix: str = ""):
    """fields -> warp by displacement (scale) -> coordinates in mm (µm for a micro-scale
    patch) -> field in display units.
    Returns (proxy, display array name, association, title)."""
    from paraview.simple import Calculator, WarpByVector

    src = fields.data
    if scale:
        src = WarpByVector(registrationName=f"warp x{scale:.3g}{name_suffix}", Input=src,
                           Vectors=["POINTS", "displacement"], ScaleFactor=scale)
    src = Calculator(registrationName=f"coordinates in {fields.length_unit}{name_suffix}",
                     Input=src, CoordinateResults=1, Function=f"coords*{fields.length_factor:g}")
    assoc = fields.association(field)
    label, unit, factor = field_units(field)
    array = field
    if factor != 1.0:
        array = f"{field}_{unit}".replace("µ", "u")
        src = Calculator(registrationName=f"{field} in {unit}{name_suffix}", Input=src,
                         AttributeType="Point Data" if assoc == "POINTS" else "Cell Data",
                         ResultArrayName=array, Function=f"{field}*{factor:.17g}")
    title = f"{label} ({unit})" if unit else label
    return src, array, assoc, title


def setup_render_view(fields: Fields, size: tuple[int, int], axes: bool = True):
    """A white render view for the dimension of the data (2D: parallel projection, x = r,
    y = z; 3D: perspective from above the side)."""
    from paraview.simple import CreateView

    view = CreateView("RenderView")
    view.ViewSize = list(size)
    view.OrientationAxesVisibility = 0 if fields.dimension == 2 else 1
    try:
        view.UseColorPaletteForBackground = 0
    except AttributeError:  # pragma: no cover - older ParaView
        pass
    view.Background = [1.0, 1.0, 1.0]
    view.OrientationAxesLabelColor = [0.1, 0.1, 0.1]
    if fields.dimension == 2:
        view.InteractionMode = "2D"
        view.CameraParallelProjection = 1
    else:
        view.InteractionMode = "3D"
    if axes:
        g = view.AxesGrid
        g.Visibility = 1
        u = fields.length_unit
        names = (f"r ({u})", f"z ({u})", "") if fields.dimension == 2 else (
            f"x ({u})", f"y ({u})", f"z ({u})")
        g.XTitle, g.YTitle, g.ZTitle = names
        for prefix in ("X", "Y", "Z"):
            setattr(g, f"{prefix}TitleColor", [0.1, 0.1, 0.1])
            setattr(g, f"{prefix}LabelColor", [0.1, 0.1, 0.1])
            setattr(g, f"{prefix}TitleFontSize", 16)
            setattr(g, f"{prefix}LabelFontSize", 14)
        g.GridColor = [0.6, 0.6, 0.6]
        if fields.dimension == 2:
            g.AxesToLabel = 1 | 2          # bit flags: label min-x and min-y only
    return view


def frame_camera(view, fields: Fields, bounds_mm: tuple[float, ...]) -> None:
    """Fit the displayed bounds (in display units) into the view, leaving room for the colour
    bar."""
    view.ResetCamera(False)
    w, h = view.ViewSize
    aspect = w / max(h, 1)
    x0, x1, y0, y1, z0, z1 = bounds_mm
    cx, cy, cz = (x0 + x1) / 2, (y0 + y1) / 2, (z0 + z1) / 2
    if fields.dimension == 2:
        half_h = max((y1 - y0) / 2 * 1.35, (x1 - x0) / 2 / (aspect * 0.72))
        shift = 0.055 * 2 * half_h * aspect         # geometry left of the colour bar
        view.CameraFocalPoint = [cx + shift, cy, 0.0]
        view.CameraPosition = [cx + shift, cy, 10.0 * max(x1 - x0, y1 - y0, 1.0)]
        view.CameraViewUp = [0.0, 1.0, 0.0]
        view.CameraParallelScale = half_h
    else:
        d = max(x1 - x0, y1 - y0, z1 - z0)
        view.CameraFocalPoint = [cx, cy, cz]
        view.CameraPosition = [cx + 1.6 * d, cy - 2.2 * d, cz + 1.4 * d]
        view.CameraViewUp = [0.0, 0.0, 1.0]
        view.ResetCamera(False)


def colour_by(display, view, array: str, assoc: str, title: str, components: int,
              rng: tuple[float, float], component: str = "Magnitude",
              component_label: str | None = None):
    """Colour a display by an array with a fixed range and a labelled colour bar."""
    from paraview.simple import ColorBy, GetColorTransferFunction, GetOpacityTransferFunction, GetScalarBar

    if components > 1:
        ColorBy(display, (assoc, array, component))
    else:
        ColorBy(display, (assoc, array))
    lut = GetColorTransferFunction(array)
    lo, hi = rng
    if lo < 0 < hi:
        lut.ApplyPreset("Cool to Warm", True)
        m = max(-lo, hi)
        lo, hi = -m, m
    else:
        lut.ApplyPreset("Viridis (matplotlib)", True)
    if not hi > lo:
        pad = max(abs(hi) * 1e-3, 1e-12)
        lo, hi = lo - pad, hi + pad
    lut.AutomaticRescaleRangeMode = "Never"
    lut.RescaleTransferFunction(lo, hi)
    GetOpacityTransferFunction(array).RescaleTransferFunction(lo, hi)
    display.SetScalarBarVisibility(view, True)
    bar = GetScalarBar(lut, view)
    bar.Title = title
    bar.ComponentTitle = "" if components == 1 else f"[{component_label or component.lower()}]"
    bar.TitleColor = [0.1, 0.1, 0.1]
    bar.LabelColor = [0.1, 0.1, 0.1]
    bar.TitleFontSize = 16
    bar.LabelFontSize = 14
    bar.RangeLabelFormat = "%-#.3g"
    bar.WindowLocation = "Any Location"
    bar.Orientation = "Vertical"
    bar.Position = [0.89, 0.12]
    bar.ScalarBarLength = 0.76
    return lut


def add_label(view, text: str, name: str = "label"):
    """Text in the upper-left corner of a view; returns the Text source (set .Text later)."""
    from paraview.simple import Show, Text

    src = Text(registrationName=name, Text=text)
    d = Show(src, view)
    d.WindowLocation = "Upper Left Corner"
    d.FontSize = 16
    d.Justification = "Left"
    d.Color = [0.1, 0.1, 0.1]
    return src


def set_time(view, t: float) -> None:
    """Show time t in a view (the representations update at the view's time)."""
    view.ViewTime = t


def close_views(*views) -> None:
    """Delete the views before the interpreter exits: with Mesa under Xvfb, ParaView 5.11
    otherwise dies at exit with 'GLXBadContext' (exit status 1) after writing everything."""
    from paraview.simple import Delete

    for view in views:
        if view is not None:
            Delete(view)
