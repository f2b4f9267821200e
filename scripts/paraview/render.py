"""Render assb-fem fields to PNG with ParaView (pvpython, reader Xdmf3ReaderT).

    xvfb-run -a pvpython scripts/paraview/render.py results/CASE              # last step
    xvfb-run -a pvpython scripts/paraview/render.py results/CASE --field stress_zz --time 1800
    xvfb-run -a pvpython scripts/paraview/render.py results/CASE --all-times  # frame_0000.png ...
    xvfb-run -a pvpython scripts/paraview/render.py results/CASE --list       # times, fields (JSON)

The mesh is warped by the displacement (by default scaled so that the largest displacement
shows as 5 % of the stack height; ``--warp off`` or a factor), coloured by a field (default
von_mises, in MPa) with a colour bar, coordinates shown in mm (µm for a micro-scale patch).
A 2D axisymmetric run renders as its (r, z) section in a 2D view; a 3D run in a 3D view.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pvcommon  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="render.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("input", help="run output folder or its fields.xdmf")
    ap.add_argument("-o", "--output",
                    help="PNG file for one time (default OUTDIR/paraview/FIELD.png); the folder "
                         "for a frame series (default OUTDIR/paraview/FIELD_frames)")
    ap.add_argument("--field", default="von_mises",
                    help="field to colour by (default von_mises; see --list)")
    ap.add_argument("--component", default="Magnitude",
                    help="component of a vector field: Magnitude (default), X, Y or Z "
                         "(in 2D: X = r, Y = z)")
    pvcommon.add_time_arguments(ap, "every stored time: a frame series frame_0000.png ... and frames.csv")
    ap.add_argument("--warp", default="auto",
                    help="warp by displacement: auto (default), off, or a scale factor")
    ap.add_argument("--warp-fraction", type=float, default=0.05,
                    help="auto warp: largest displacement as this fraction of the stack height "
                         "(default 0.05)")
    ap.add_argument("--range", nargs=2, type=float, metavar=("MIN", "MAX"),
                    help="colour range in display units (default: data range over the times "
                         "rendered)")
    ap.add_argument("--size", nargs=2, type=int, metavar=("W", "H"),
                    help="image size in pixels (default fits the geometry)")
    ap.add_argument("--title", help="text in the upper-left corner (default: case and time)")
    ap.add_argument("--no-axes", action="store_true", help="no axes grid")
    ap.add_argument("--list", action="store_true",
                    help="print the stored times and fields as JSON and exit")
    return ap.parse_args(argv)


def default_size(fields: pvcommon.Fields) -> tuple[int, int]:
    if fields.dimension == 3:
        return (1400, 1000)
    b = fields.bounds
    ratio = (b[3] - b[2]) / max(b[1] - b[0], 1e-300)
    return (1600, int(min(1200, max(420, 1600 * 0.72 * ratio * 1.6 + 220))))


def main(argv=None) -> int:
    args = parse_args(argv)
    xdmf = pvcommon.resolve_xdmf(args.input)

    from paraview.simple import SaveScreenshot, Show

    fields = pvcommon.Fields(xdmf)
    if args.list:
        print(json.dumps(fields.info(), indent=2))
        return 0
    assoc = fields.association(args.field)
    ncomp = fields.components(args.field)
    times = fields.select_times(args.time, args.index, args.all_times)

    scale = pvcommon.warp_factor(fields, args.warp, args.warp_fraction, times)
    src, array, assoc, title = pvcommon.display_pipeline(fields, args.field, scale)
    comp = {"x": "X", "y": "Y", "z": "Z", "0": "X", "1": "Y", "2": "Z"}.get(
        args.component.lower(), "Magnitude")
    comp_index = {"X": 0, "Y": 1, "Z": 2}.get(comp, -1)
    if args.range:
        rng = tuple(args.range)
    else:
        factor = pvcommon.field_units(args.field)[2]
        lo, hi = fields.range_over(args.field, times, comp_index if ncomp > 1 else 0)
        rng = (lo * factor, hi * factor)

    view = pvcommon.setup_render_view(fields, tuple(args.size) if args.size else
                                      default_size(fields), axes=not args.no_axes)
    display = Show(src, view)
    display.SetRepresentationType("Surface")
    names = {"X": "r", "Y": "z"} if fields.dimension == 2 else {}
    pvcommon.colour_by(display, view, array, assoc, title, ncomp, rng, comp,
                       names.get(comp, comp.lower()))
    labels = pvcommon.step_labels(xdmf)
    case = pvcommon.case_name(xdmf)
    label = pvcommon.add_label(view, "")

    series = len(times) > 1
    if series:
        outdir = Path(args.output) if args.output else xdmf.parent / "paraview" / f"{args.field}_frames"
        outdir.mkdir(parents=True, exist_ok=True)
    else:
        out = Path(args.output) if args.output else xdmf.parent / "paraview" / f"{args.field}.png"
        out.parent.mkdir(parents=True, exist_ok=True)

    framed = False
    rows = []
    for i, t in enumerate(times):
        pvcommon.set_time(view, t)
        src.UpdatePipeline(t)
        if not framed:  # one camera for the whole series (fitted to the first frame)
            pvcommon.frame_camera(view, fields, src.GetDataInformation().GetBounds())
            framed = True
        step = labels.get(t, "")
        text = args.title if args.title else (
            f"{case}   t = {pvcommon.fmt_time(t)}" + (f"   {step}" if step else ""))
        if scale and not args.title:
            text += f"\ndisplacement shown x{scale:.3g}"
        label.Text = text
        path = outdir / f"frame_{i:04d}.png" if series else out
        SaveScreenshot(str(path), view, ImageResolution=list(view.ViewSize),
                       TransparentBackground=0)
        rows.append((i, t, path.name))
        print(path)
    if series:
        with (outdir / "frames.csv").open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["frame", "time_s", "file"])
            w.writerows(rows)
    pvcommon.close_views(view)
    return 0


if __name__ == "__main__":
    sys.exit(main())
