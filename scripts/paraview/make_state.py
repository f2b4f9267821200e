"""Write a ParaView state file (.pvsm) for interactive work on an assb-fem run.

    xvfb-run -a pvpython scripts/paraview/make_state.py results/CASE          # -> CASE/fields.pvsm
    paraview --state=results/CASE/fields.pvsm

The state holds the pipeline of render.py: fields.xdmf read with Xdmf3ReaderT, the field blocks
appended into one grid, warped by the displacement (auto scale: the largest displacement over
all times shows as 5 % of the stack height), coordinates in mm (µm for a micro-scale patch),
the field in display units (stresses in MPa) with a colour bar fixed to its range over all
times, the time in hours, and the animation set to the stored time steps. With --line-radius,
a second view charts the fields along z at that radius. A 2D axisymmetric run opens in a 2D
view, a 3D run in a 3D view.

The state refers to fields.xdmf by its absolute path; after moving the run folder, load it with
"Search files under specified directory" (GUI) or LoadState(path, data_directory=...).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pvcommon  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="make_state.py", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("input", help="run output folder or its fields.xdmf")
    ap.add_argument("-o", "--output", help="state file (default OUTDIR/fields.pvsm)")
    ap.add_argument("--field", default="von_mises", help="field to colour by (default von_mises)")
    ap.add_argument("--warp", default="auto",
                    help="warp by displacement: auto (default), off, or a scale factor")
    ap.add_argument("--warp-fraction", type=float, default=0.05,
                    help="auto warp: largest displacement as this fraction of the stack height")
    ap.add_argument("--line-radius", metavar="R",
                    help="add a chart of the fields along z at this radius (e.g. 0 or 2.5mm)")
    return ap.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    xdmf = pvcommon.resolve_xdmf(args.input)

    from paraview.simple import (
        AnnotateTimeFilter,
        Calculator,
        CreateLayout,
        CreateView,
        GetAnimationScene,
        PlotOverLine,
        SaveState,
        SetActiveSource,
        SetActiveView,
        Show,
    )

    fields = pvcommon.Fields(xdmf)
    ncomp = fields.components(args.field)
    times = fields.times or [0.0]
    scale = pvcommon.warp_factor(fields, args.warp, args.warp_fraction, times)
    src, array, assoc, title = pvcommon.display_pipeline(fields, args.field, scale)
    factor = pvcommon.field_units(args.field)[2]
    lo, hi = fields.range_over(args.field, times, -1 if ncomp > 1 else 0)

    view = pvcommon.setup_render_view(fields, (1400, 700))
    display = Show(src, view)
    display.SetRepresentationType("Surface")
    pvcommon.colour_by(display, view, array, assoc, title, ncomp, (lo * factor, hi * factor))
    src.UpdatePipeline(times[-1])
    pvcommon.frame_camera(view, fields, src.GetDataInformation().GetBounds())
    clock = AnnotateTimeFilter(registrationName="time (h)", Input=fields.data,
                               Format="t = {time:.4g} h", Scale=1 / 3600)
    d = Show(clock, view)
    d.WindowLocation = "Upper Left Corner"
    d.FontSize = 16
    d.Color = [0.1, 0.1, 0.1]
    if scale:
        pvcommon.add_label(view, f"{pvcommon.case_name(xdmf)}   displacement shown x{scale:.3g}",
                           "case").UpdatePipeline()
        # the time annotation sits under the case label
        d.WindowLocation = "Any Location"
        d.Position = [0.01, 0.86]

    layout = CreateLayout("assb-fem")
    views = [view]
    if args.line_radius is not None:
        from line_plot import line_points

        radius = pvcommon.parse_length(args.line_radius)
        p1, p2, r = line_points(fields, radius, None)
        line = PlotOverLine(registrationName=f"along z at r = {fields.length(r)}",
                            Input=fields.data, Point1=list(p1), Point2=list(p2),
                            Resolution=500, SamplingPattern="Sample Uniformly")
        z = Calculator(registrationName=f"z in {fields.length_unit}", Input=line,
                       ResultArrayName=fields.z_array, Function=fields.z_function)
        shown = []
        for f in sorted(fields.cell_fields):
            label, unit, factor = pvcommon.field_units(f)
            if factor != 1.0:
                z = Calculator(registrationName=f"{f} in {unit} (line)", Input=z,
                               ResultArrayName=f"{f}_{unit}", Function=f"{f}*{factor:.17g}")
                shown.append((f"{f}_{unit}", f"{label} ({unit})"))
            else:
                shown.append((f, label))
        chart = CreateView("XYChartView")
        chart.BottomAxisTitle = f"z ({fields.length_unit})"
        chart.ChartTitle = f"along z at r = {fields.length(r)}"
        cd = Show(z, chart)
        cd.UseIndexForXAxis = 0
        cd.XArrayName = fields.z_array
        cd.SeriesVisibility = [a for a, _ in shown]
        cd.SeriesLabel = [x for pair in shown for x in pair]
        colours = [("0.12", "0.47", "0.71"), ("0.84", "0.15", "0.16"), ("0.17", "0.63", "0.17"),
                   ("1.0", "0.5", "0.05")]
        cd.SeriesColor = [x for i, (a, _) in enumerate(shown)
                          for x in (a, *colours[i % len(colours)])]
        layout.SplitVertical(0, 0.6)
        layout.AssignView(1, view)
        layout.AssignView(2, chart)
        views.append(chart)
    else:
        layout.AssignView(0, view)

    scene = GetAnimationScene()
    scene.UpdateAnimationUsingDataTimeSteps()
    scene.AnimationTime = times[-1]
    SetActiveView(view)
    SetActiveSource(src)
    out = Path(args.output) if args.output else xdmf.parent / "fields.pvsm"
    out.parent.mkdir(parents=True, exist_ok=True)
    SaveState(str(out))
    print(out)
    pvcommon.close_views(*views)
    return 0


if __name__ == "__main__":
    sys.exit(main())
