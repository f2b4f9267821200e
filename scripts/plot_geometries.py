#!/usr/bin/env python
"""Pictures of the default geometries with their named regions: docs/geometry/*.png.

For every bundled case (cases/*.toml) and the 3D sectors of the three stack kinds, build the mesh
serially and draw it: 2D meshes as triangles coloured by volume with the facet groups as
coloured lines (stacks: the whole section with z stretched, and the outer edge at true scale);
3D meshes as their boundary and interface facets coloured by group (patches: the Li lifted off
the separator to show the rough surface).

    .venv/bin/python scripts/plot_geometries.py [--out docs/geometry] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.collections import LineCollection, PolyCollection  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from mpl_toolkits.mplot3d.art3d import Poly3DCollection  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fem._dolfinx import MPI, dolfinx  # noqa: E402  (before anything that loads dolfinx)
from fem.case import load_case  # noqa: E402
from fem.geometry import CellMesh, build_mesh, geometry_hash, mesh_quality  # noqa: E402

VOLUME_COLOURS = plt.get_cmap("Pastel1").colors + plt.get_cmap("Pastel2").colors
FACET_COLOURS = plt.get_cmap("tab10").colors + plt.get_cmap("Dark2").colors


def _connectivity(cm: CellMesh, dim: int, entities: np.ndarray) -> np.ndarray:
    """Vertex coordinates of entities, shape (n, vertices per entity, gdim)."""
    msh = cm.mesh
    msh.topology.create_connectivity(dim, 0)
    geo = dolfinx.mesh.entities_to_geometry(msh, dim, np.asarray(entities, dtype=np.int32))
    nv = dim + 1
    return msh.geometry.x[geo[:, :nv]][:, :, : msh.geometry.dim]


def _groups(cm: CellMesh, dim: int) -> list[str]:
    return [n for n, (d, _) in cm.groups.items() if d == dim]


def _title(name: str, cm: CellMesh) -> str:
    q = mesh_quality(cm)
    return (f"{name}: {cm.dimension}, {q['cells']} {q['cell_type']}s, "
            f"min angle {q['min_angle_deg']:.0f} deg")


def _draw_2d(ax, cm: CellMesh, scale: float, unit: str) -> tuple[list, list]:
    tdim = 2
    handles = []
    for i, name in enumerate(_groups(cm, tdim)):
        tri = _connectivity(cm, tdim, cm.cells(name)) / scale
        colour = VOLUME_COLOURS[i % len(VOLUME_COLOURS)]
        ax.add_collection(PolyCollection(tri, facecolors=colour, edgecolors="0.55",
                                         linewidths=0.15))
        handles.append(Patch(facecolor=colour, edgecolor="0.4", label=name))
    lines = []
    for i, name in enumerate(_groups(cm, tdim - 1)):
        seg = _connectivity(cm, tdim - 1, cm.facets(name)) / scale
        colour = FACET_COLOURS[i % len(FACET_COLOURS)]
        ax.add_collection(LineCollection(seg, colors=[colour], linewidths=1.6))
        lines.append(plt.Line2D([], [], color=colour, lw=2, label=name))
    ax.autoscale_view()
    x = "r" if cm.axisymmetric else "x"
    ax.set_xlabel(f"{x} [{unit}]")
    ax.set_ylabel(f"z [{unit}]")
    return handles, lines


def plot_2d(name: str, cm: CellMesh, out: Path) -> None:
    """Stacks: whole section (z stretched) and the outer edge at true scale; patches: one panel."""
    x = cm.mesh.geometry.x
    if cm.axisymmetric:
        fig, axes = plt.subplots(2, 1, figsize=(11, 7.5), height_ratios=(1, 1.3))
        handles, lines = _draw_2d(axes[0], cm, 1e-3, "mm")
        axes[0].set_title(_title(name, cm) + " (z stretched)", fontsize=10)
        _draw_2d(axes[1], cm, 1e-3, "mm")
        z_min, z_max = x[:, 1].min(), x[:, 1].max()
        height = z_max - z_min
        r_edge = _connectivity(cm, 1, cm.facets("outer"))[:, :, 0].max()  # the stack's rim
        r_hi = min(x[:, 0].max(), r_edge + 0.6 * height) + 0.02 * height
        axes[1].set_xlim((r_edge - 1.2 * height) / 1e-3, r_hi / 1e-3)
        axes[1].set_ylim(z_min / 1e-3 - 0.02 * height / 1e-3, z_max / 1e-3 + 0.02 * height / 1e-3)
        axes[1].set_aspect("equal")
        axes[1].set_title("outer edge, true scale", fontsize=10)
        legend_ax = axes[0]
    else:
        fig, ax = plt.subplots(1, 1, figsize=(11, 6))
        handles, lines = _draw_2d(ax, cm, 1e-6, "um")
        ax.set_aspect("equal")
        ax.set_title(_title(name, cm), fontsize=10)
        legend_ax = ax
    legend_ax.legend(handles=handles + lines, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                     fontsize=8, frameon=False)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def plot_3d(name: str, cm: CellMesh, out: Path, lift: dict[str, float],
            by_volume: tuple[str, ...] = (), elev: float = 24.0,
            translucent: tuple[str, ...] = ("die",), top_view: str | None = None) -> None:
    """Boundary and interface facets coloured by group, in one depth-sorted collection.

    ``lift`` moves each named volume up by a distance (an exploded view; an interface is drawn
    with the volume below it); facets of the groups in ``by_volume`` are coloured by their
    volume instead (the layers on the symmetry planes); the die is drawn translucent.
    """
    msh = cm.mesh
    tdim = 3
    msh.topology.create_connectivity(tdim - 1, tdim)
    f2c = msh.topology.connectivity(tdim - 1, tdim)
    patch = cm.has("periodic_left")
    scale, unit = (1e-6, "um") if patch else (1e-3, "mm")
    volumes = _groups(cm, tdim)
    region = np.full(msh.topology.index_map(tdim).size_local
                     + msh.topology.index_map(tdim).num_ghosts, -1)
    for i, vname in enumerate(volumes):
        region[cm.cells(vname)] = i
    midz = msh.geometry.x[:, 2][dolfinx.mesh.entities_to_geometry(
        msh, tdim, np.arange(region.size, dtype=np.int32))].mean(axis=1)
    polys, colours, legend = [], [], []
    for i, fname in enumerate(_groups(cm, tdim - 1)):
        facets = cm.facets(fname)
        tri = _connectivity(cm, tdim - 1, facets).copy()
        colour = np.array(matplotlib.colors.to_rgba(FACET_COLOURS[i % len(FACET_COLOURS)]))
        for k, f in enumerate(facets):
            cells = f2c.links(f)
            cell = cells[np.argmin(midz[cells])]
            vname = volumes[region[cell]]
            tri[k, :, 2] += lift.get(vname, 0.0)
            if fname in by_volume:
                c = np.array(matplotlib.colors.to_rgba(
                    VOLUME_COLOURS[region[cell] % len(VOLUME_COLOURS)]))
            else:
                c = colour.copy()
            if vname in translucent:
                c[3] = 0.2
            colours.append(c)
        polys.append(tri / scale)
        if fname not in by_volume:
            legend.append(Patch(facecolor=colour, label=fname))
    if by_volume:
        legend += [Patch(facecolor=VOLUME_COLOURS[i % len(VOLUME_COLOURS)],
                         label=f"volume {v}") for i, v in enumerate(volumes)]
    allp = np.concatenate(polys)
    fig = plt.figure(figsize=(16, 8) if top_view else (11, 8))
    ax = fig.add_subplot(1, 2 if top_view else 1, 1, projection="3d")
    if top_view:
        ax2 = fig.add_subplot(1, 2, 2)
        tri = _connectivity(cm, tdim - 1, cm.facets(top_view)) / scale
        order = np.argsort(tri[:, :, 2].mean(axis=1))  # lowest first: pore bottoms under walls
        pc = PolyCollection(tri[order, :, :2], array=tri[order, :, 2].mean(axis=1),
                            cmap="viridis", edgecolors="face", linewidths=0.2)
        ax2.add_collection(pc)
        ax2.autoscale_view()
        ax2.set_aspect("equal")
        ax2.set_xlabel(f"x [{unit}]")
        ax2.set_ylabel(f"y [{unit}]")
        ax2.set_title(f"{top_view} seen from above (height)", fontsize=10)
        fig.colorbar(pc, ax=ax2, label=f"z [{unit}]", shrink=0.8)
    ax.add_collection3d(Poly3DCollection(allp, facecolors=np.array(colours), edgecolors="0.3",
                                         linewidths=0.05))
    lo, hi = allp.reshape(-1, 3).min(0), allp.reshape(-1, 3).max(0)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_zlim(lo[2], hi[2])
    span = hi - lo
    ax.set_box_aspect((span[0], span[1], max(span[2], 0.45 * max(span[:2]))))
    ax.set_xlabel(f"x [{unit}]")
    ax.set_ylabel(f"y [{unit}]")
    ax.set_zlabel(f"z [{unit}]")
    ax.view_init(elev=elev, azim=-58)
    notes = []
    if span[2] < 0.45 * max(span[:2]):
        notes.append("z stretched")
    if by_volume:
        notes.append(f"{', '.join(by_volume)} coloured by volume")
    if lift:
        notes.append("exploded: " + ", ".join(f"{v} +{d / scale:.3g} {unit}"
                                               for v, d in lift.items() if d))
    ax.set_title(_title(name, cm) + f"\nvolumes: {', '.join(volumes)}"
                 + (f"\n{'; '.join(notes)}" if notes else ""), fontsize=10)
    ax.legend(handles=legend, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8,
              frameon=False)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def geometries() -> list[tuple[str, object]]:
    """(picture name, case) for every default geometry (bundled cases with distinct geometry,
    the 3D sectors of the three kinds, and a full cell with a small Li foil and a die gap)."""
    out, seen = [], set()
    for path in sorted((ROOT / "cases").glob("*.toml")):
        case = load_case(path)
        if geometry_hash(case) not in seen:  # e.g. the spring holder twin of a case
            seen.add(geometry_hash(case))
            out.append((case.name, case))
    sector = ["mesh.dimension=3d", "mesh.size_min=250 um", "mesh.size_max=1 mm"]
    for kind, path in (("symmetric", "li_symmetric_hold"), ("full", "ncm811_li_fixed_gap"),
                       ("silicon", "lco_li1si")):
        case = load_case(ROOT / "cases" / f"{path}.toml", sector)
        out.append((f"{kind}_3d_sector", case))
    # geometry features the bundled cases leave out: smaller Li foil, die with a gap, plungers
    case = load_case(ROOT / "cases" / "ncm811_li_fixed_gap.toml",
                     ["cell.layers[2].radius=4.5 mm"])
    case.cell.die_enabled, case.cell.die_model, case.cell.die_clearance = True, "elastic", 100e-6
    case.cell.die_wall_thickness = 1e-3
    case.name = "full_small_li_die_gap"
    out.append((case.name, case))
    case3 = copy.deepcopy(case)
    case3.mesh.dimension, case3.mesh.size_min, case3.mesh.size_max = "3d", 250e-6, 1e-3
    case3.mesh.sector_angle = 90.0
    out.append(("full_small_li_die_gap_3d_sector", case3))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "docs" / "geometry"))
    ap.add_argument("--only", nargs="*", default=None, help="picture names to draw")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, case in geometries():
        if args.only and name not in args.only:
            continue
        cm = build_mesh(case, MPI.COMM_SELF)
        path = out / f"{name}.png"
        if cm.mesh.topology.dim == 2:
            plot_2d(name, cm, path)
        elif case.patch is not None:
            li = case.patch.li_layer
            plot_3d(name, cm, path, {li: 0.6 * case.patch.li_thickness}, elev=30.0,
                    top_view=f"{case.patch.separator_layer}_contact")
        else:
            gap = 0.25 * case.cell.height
            lift = {la.name: i * gap for i, la in enumerate(case.cell.layers)}
            plot_3d(name, cm, path, lift, by_volume=("symmetry_xz", "symmetry_rot"))
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
