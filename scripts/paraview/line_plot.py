"""Fields along a line across the stack (along z at a chosen radius), with ParaView
(pvpython, reader Xdmf3ReaderT): a CSV of every field and a PNG chart.

    xvfb-run -a pvpython scripts/paraview/line_plot.py results/CASE                   # r = 0, last
    xvfb-run -a pvpython scripts/paraview/line_plot.py results/CASE --radius 4.5mm --time 1800 last
    xvfb-run -a pvpython scripts/paraview/line_plot.py results/CASE --all-times -o /tmp/axis

The CSV (PREFIX.csv) has one row per sample point and time: time_s, r_m, z_m and every field
in SI (vector components as displacement_r, displacement_z in 2D; _x, _y, _z in 3D). The PNG
(PREFIX.png) shows the chosen fields in display units (stresses in MPa) against z in mm (µm for
a micro-scale patch), one curve per time. In 3D the line is at (r cos a, r sin a) with the
angle a from --angle.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pvcommon  # noqa: E402

_COLOURS = [(0.12, 0.47, 0.71), (1.0, 0.5, 0.05), (0.17, 0.63, 0.17), (0.84, 0.15, 0.16),
            (0.58, 0.4, 0.74), (0.55, 0.34, 0.29), (0.89, 0.47, 0.76), (0.5, 0.5, 0.5),
            (0.74, 0.74, 0.13), (0.09, 0.75, 0.81)]


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="line_plot.py", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("input", help="run output folder or its fields.xdmf")
    ap.add_argument("-o", "--output", metavar="PREFIX",
                    help="writes PREFIX.csv and PREFIX.png (default OUTDIR/paraview/line_r<R>)")
    ap.add_argument("--radius", default="0",
                    help="radius of the line: metres or with a unit, e.g. 2.5mm (default 0, the "
                         "axis)")
    ap.add_argument("--angle", type=float,
                    help="3D only: angle of the line's position in the x-y plane, degrees "
                         "(default: 45 for a sector in the first quadrant, else 0)")
    pvcommon.add_time_arguments(ap)
    ap.add_argument("--fields", nargs="+", metavar="NAME",
                    help="fields in the chart (default: the stress fields present, else all)")
    ap.add_argument("--resolution", type=int, default=500,
                    help="number of segments along the line (default 500)")
    ap.add_argument("--size", nargs=2, type=int, default=(1200, 800), metavar=("W", "H"),
                    help="chart size in pixels (default 1200 800)")
    ap.add_argument("--no-png", action="store_true", help="write the CSV only")
    return ap.parse_args(argv)


def line_points(fields: pvcommon.Fields, radius: float, angle: float | None):
    """End points of the line (slightly inside the mesh, so that the ends find cells)."""
    b = fields.bounds
    size = max(b[1] - b[0], b[3] - b[2], b[5] - b[4])
    eps = 1e-7 * size
    lo, hi = b[2 * fields.axis] + eps, b[2 * fields.axis + 1] - eps
    if fields.dimension == 2:
        r = min(max(radius, b[0] + eps), b[1] - eps)
        return (r, lo, 0.0), (r, hi, 0.0), r
    if angle is None:
        angle = 45.0 if b[0] >= -eps and b[2] >= -eps else 0.0
    r = max(radius, eps)
    x, y = r * math.cos(math.radians(angle)), r * math.sin(math.radians(angle))
    return (x, y, lo), (x, y, hi), r


def component_names(fields: pvcommon.Fields, name: str, n: int) -> list[str]:
    if n == 1:
        return [name]
    axes = ("r", "z", "2") if fields.dimension == 2 else ("x", "y", "z")
    if n <= 3:
        return [f"{name}_{axes[i]}" for i in range(n)]
    return [f"{name}_{i}" for i in range(n)]


def sample(fields: pvcommon.Fields, p1, p2, resolution: int, t: float, name: str):
    """ForceTime(t) -> PlotOverLine; returns the proxy."""
    from paraview.simple import ForceTime, PlotOverLine

    ft = ForceTime(registrationName=f"time {name}", Input=fields.data, ForcedTime=t,
                   IgnorePipelineTime=1)
    line = PlotOverLine(registrationName=f"line {name}", Input=ft, Point1=list(p1),
                        Point2=list(p2), Resolution=resolution,
                        SamplingPattern="Sample Uniformly")
    line.UpdatePipeline(t)
    return line


def rows_of(fields: pvcommon.Fields, line, t: float, names: list[str]) -> list[list[float]]:
    from paraview import servermanager
    from vtkmodules.util.numpy_support import vtk_to_numpy

    poly = servermanager.Fetch(line)
    pts = vtk_to_numpy(poly.GetPoints().GetData())
    pd = poly.GetPointData()
    mask = pd.GetArray("vtkValidPointMask")
    valid = vtk_to_numpy(mask) if mask is not None else [1] * len(pts)
    cols = []
    for name in names:
        a = pd.GetArray(name)
        v = vtk_to_numpy(a) if a is not None else None
        cols.append(v)
    out = []
    for i, p in enumerate(pts):
        if not valid[i]:
            continue
        r = p[0] if fields.dimension == 2 else math.hypot(p[0], p[1])
        row = [t, float(r), float(p[fields.axis])]
        for name, v in zip(names, cols, strict=True):
            n = fields.components(name)
            if v is None:
                row += [math.nan] * (n if not (fields.dimension == 2 and n == 3) else 2)
            elif v.ndim == 1:
                row.append(float(v[i]))
            else:
                comps = v[i][:2] if fields.dimension == 2 and n == 3 else v[i]
                row += [float(c) for c in comps]
        out.append(row)
    return out


def chart(fields: pvcommon.Fields, lines: list[tuple[float, object]], plot_fields: list[str],
          size, title: str, path: Path) -> None:
    from paraview.simple import Calculator, CreateView, SaveScreenshot, Show

    view = CreateView("XYChartView")
    view.ViewSize = list(size)
    view.ChartTitle = title
    view.BottomAxisTitle = f"z ({fields.length_unit})"
    units = {pvcommon.field_units(f)[1] for f in plot_fields}
    if len(plot_fields) == 1:
        label, unit, _ = pvcommon.field_units(plot_fields[0])
        view.LeftAxisTitle = f"{label} ({unit})" if unit else label
    elif units == {"MPa"}:
        view.LeftAxisTitle = "stress (MPa)"
    elif len(units) == 1 and units != {""}:
        view.LeftAxisTitle = f"({units.pop()})"
    view.LegendLocation = "TopRight"
    view.ShowLegend = 1
    styles = [1, 2, 3, 4]
    for k, (t, line) in enumerate(lines):
        src = Calculator(registrationName=f"z in {fields.length_unit} {k}", Input=line,
                         ResultArrayName=fields.z_array, Function=fields.z_function)
        visible, labels, colours, styles_, widths = [], [], [], [], []
        for j, f in enumerate(plot_fields):
            label, unit, factor = pvcommon.field_units(f)
            array = f
            if factor != 1.0:
                array = f"{f}_{unit}".replace("µ", "u")
                src = Calculator(registrationName=f"{f} in {unit} {k}", Input=src,
                                 ResultArrayName=array, Function=f"{f}*{factor:.17g}")
            if fields.components(f) > 1:
                array = f"{array}_Magnitude"
            visible.append(array)
            name = label if len(lines) == 1 else f"{label}, t = {pvcommon.fmt_time(t)}"
            labels += [array, name]
            c = _COLOURS[(k if len(lines) > 1 else j) % len(_COLOURS)]
            colours += [array] + [str(x) for x in c]
            styles_ += [array, str(styles[j % len(styles)] if len(lines) > 1 else 1)]
            widths += [array, "2"]
        d = Show(src, view)
        d.UseIndexForXAxis = 0
        d.XArrayName = fields.z_array
        d.SeriesVisibility = visible
        d.SeriesLabel = labels
        d.SeriesColor = colours
        d.SeriesLineStyle = styles_
        d.SeriesLineThickness = widths
    SaveScreenshot(str(path), view, ImageResolution=list(size))
    pvcommon.close_views(view)


def main(argv=None) -> int:
    args = parse_args(argv)
    xdmf = pvcommon.resolve_xdmf(args.input)
    try:
        radius = pvcommon.parse_length(args.radius)
    except ValueError as exc:
        sys.exit(f"error: --radius {exc}")

    fields = pvcommon.Fields(xdmf)
    times = fields.select_times(args.time, args.index, args.all_times)
    p1, p2, r = line_points(fields, radius, args.angle)
    all_fields = sorted(fields.point_fields) + sorted(fields.cell_fields)
    plot_fields = args.fields or [f for f in all_fields
                                  if pvcommon.field_units(f)[1] == "MPa"] or all_fields
    for f in plot_fields:
        fields.association(f)  # exits with the available fields if absent

    prefix = Path(args.output) if args.output else (
        xdmf.parent / "paraview" / f"line_r{fields.length(r).replace(' ', '')}")
    prefix.parent.mkdir(parents=True, exist_ok=True)
    header = ["time_s", "r_m", "z_m"]
    for f in all_fields:
        n = fields.components(f)
        header += component_names(fields, f, 2 if fields.dimension == 2 and n == 3 else n)
    lines, rows = [], []
    for k, t in enumerate(times):
        line = sample(fields, p1, p2, args.resolution, t, str(k))
        got = rows_of(fields, line, t, all_fields)
        if not got:
            sys.exit(f"error: the line at r = {r:g} m misses the mesh (bounds {fields.bounds})")
        rows += got
        lines.append((t, line))
    csv_path = prefix.with_name(prefix.name + ".csv")
    with csv_path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows([[repr(x) for x in row] for row in rows])
    print(csv_path)
    if not args.no_png:
        png = prefix.with_name(prefix.name + ".png")
        title = f"{pvcommon.case_name(xdmf)}: along z at r = {fields.length(r)}"
        if len(times) == 1:
            title += f", t = {pvcommon.fmt_time(times[0])}"
        chart(fields, lines, plot_fields, args.size, title, png)
        print(png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
