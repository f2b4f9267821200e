"""The Li | separator interfaces of a cell-scale mesh as sets of points ("stations") that carry
the reduced interface state of :mod:`fem.interface.contact_state`.

A station is an interface facet whose Li cell this rank owns: its state depends only on the normal
pressure of the Li cell on it and on the local plating current, so no rank needs another's
stations and the results do not depend on the number of ranks. Scalars for the history are
reduced over all ranks (collective); cell fields put each station's value on its Li cell.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fem._dolfinx import MPI, dolfinx
from fem.interface.contact_state import ContactState, InterfaceParameters, current_share
from fem.interface.settings import InterfaceLayout


@dataclass
class Interface:
    """One Li | separator interface: its Li layer, the sign of plating on charge (+1, or -1
    for the lower Li of a symmetric cell), the stations' Li cells, centres and weights."""

    li_layer: str
    sign: float
    cells: np.ndarray
    centres: np.ndarray  # (3, n) facet midpoints
    weights: np.ndarray  # facet area (x 2 pi r in axisymmetry)
    state: ContactState


class InterfaceStations:
    """The reduced interface model on every Li | separator interface of ``mech``'s mesh
    (``layout``: which layers meet there), with the parameters ``params``."""

    def __init__(self, mech, layout: InterfaceLayout, params: InterfaceParameters):
        self.mech, self.layout, self.params = mech, layout, params
        cm = mech.cm
        msh = cm.mesh
        tdim = msh.topology.dim
        sep, lis = layout.separator, layout.li_layers
        self.interfaces: list[Interface] = []
        for k, li in enumerate(lis):
            if cm.interface_name(li, sep) is None:
                continue
            facets, cells = cm.interface_cells(li, sep, owned=True)
            centres = dolfinx.mesh.compute_midpoints(msh, tdim - 1, facets).T
            weights = self._weights(msh, facets, centres, cm.axisymmetric)
            sign = -1.0 if (len(lis) == 2 and k == 0) else 1.0
            self.interfaces.append(Interface(li, sign, cells, centres, weights,
                                             ContactState(params, facets.size)))
        self.axisymmetric = cm.axisymmetric
        self.owned_cells = np.arange(msh.topology.index_map(tdim).size_local, dtype=np.int32)
        self.expr = dolfinx.fem.Expression(mech.sigma_n[mech.iz, mech.iz],
                                           mech.QT.element.interpolation_points)

    @staticmethod
    def _weights(msh, facets, centres, axisymmetric: bool) -> np.ndarray:
        """Facet measure (length in 2D, area in 3D) times 2 pi r in axisymmetry."""
        tdim = msh.topology.dim
        msh.topology.create_connectivity(tdim - 1, 0)
        geo = msh.geometry.x
        f2v = dolfinx.mesh.entities_to_geometry(msh, tdim - 1, facets, False)
        if tdim == 2:
            size = np.linalg.norm(geo[f2v[:, -1]] - geo[f2v[:, 0]], axis=1)
        else:
            a, b, c = geo[f2v[:, 0]], geo[f2v[:, 1]], geo[f2v[:, 2]]
            size = 0.5 * np.linalg.norm(np.cross(b - a, c - a), axis=1)
        return size * (2 * np.pi * centres[0] if axisymmetric else 1.0)

    @property
    def active(self) -> bool:
        return bool(self.mech.comm.allreduce(sum(i.cells.size for i in self.interfaces),
                                             op=MPI.SUM))

    # ------------------------------------------------------------------ per step
    def _pressures(self) -> list[np.ndarray]:
        """-sigma_zz (cell mean of the quadrature stress) of each station's Li cell."""
        vals = self.expr.eval(self.mech.cm.mesh, self.owned_cells)
        szz = vals.reshape(len(self.owned_cells), -1).mean(axis=1)
        return [-szz[i.cells] for i in self.interfaces]

    def _interface_pressures(self) -> list[np.ndarray]:
        """The pressure each station's state sees: the area-weighted mean normal pressure of
        its interface (collective). The local -sigma_zz is singular at the foil's free edge and
        at the die corner (mesh dependent there), and the contact and extrusion rates go with
        its 6.56th power: the mean keeps the indicators mesh independent; the local current
        still varies along the interface."""
        comm = self.mech.comm
        out = []
        for itf, p in zip(self.interfaces, self._pressures(), strict=True):
            num, den = comm.allreduce(np.array([float(np.dot(itf.weights, p)),
                                                float(itf.weights.sum())]), op=MPI.SUM)
            out.append(np.full(itf.cells.size, num / den if den > 0 else 0.0))
        return out

    def initialise(self) -> None:
        """The contact made by the initial load."""
        for itf, p in zip(self.interfaces, self._interface_pressures(), strict=True):
            itf.state.initialise(p)

    #: True when the electrochemistry solve carries the contact fraction in its kinetics
    #: (:meth:`contact_profiles` pushed into it): its current profile is then used as it is
    kinetics_carry_contact = False

    def advance(self, current_density, i_app: float, dt: float, temperature: float) -> None:
        """Trial step with the committed mechanics of this step (collective). The local current
        is the plating-current hook's (:class:`fem.mechanics.volume_change.VolumeChange`: the
        electrochemistry's profile or the applied current). When the electrochemistry does not
        carry the contact fraction (no electrochemistry), it is scaled by the share each point
        takes by its contact (:func:`fem.interface.contact_state.current_share`, contact
        fraction of the step's start), normalised to keep each interface's mean."""
        comm = self.mech.comm
        for itf, p in zip(self.interfaces, self._interface_pressures(), strict=True):
            scale = 1.0
            if not self.kinetics_carry_contact:
                share = current_share(itf.state.f, self.params)
                sums = comm.allreduce(np.array([float(np.dot(itf.weights, share)),
                                                float(itf.weights.sum())]), op=MPI.SUM)
                scale = share * sums[1] / sums[0]
            if i_app == 0.0 or itf.cells.size == 0:
                i = np.zeros(itf.cells.size)
            else:
                i = itf.sign * np.asarray(current_density(itf.li_layer, itf.centres, i_app))
                i = i * scale
            itf.state.advance(p, i, dt, temperature)

    def contact_profiles(self, axisymmetric: bool) -> list[tuple[float, np.ndarray, np.ndarray]]:
        """(sign, radius, contact fraction) of every interface, sorted by radius, the same on
        every rank (collective): sign +1 for the upper (working) Li, -1 for the lower Li of a
        symmetric cell."""
        comm = self.mech.comm
        out = []
        for itf in self.interfaces:
            c = itf.centres
            r = c[0] if axisymmetric else np.hypot(c[0], c[1])
            r = np.concatenate(comm.allgather(np.asarray(r, dtype=float)))
            f = np.concatenate(comm.allgather(np.asarray(itf.state.f, dtype=float)))
            order = np.argsort(r, kind="stable")
            out.append((itf.sign, r[order], f[order]))
        return out

    def commit(self) -> None:
        for itf in self.interfaces:
            itf.state.commit()

    def restore(self) -> None:
        for itf in self.interfaces:
            itf.state.restore()

    # ------------------------------------------------------------------ reductions
    def _reduce(self, values, op, empty: float) -> float:
        local = [float(op(v)) for v in values if v.size]
        local = op(np.array(local)) if local else empty
        return self.mech.comm.allreduce(local, op=MPI.MIN if op is np.min else MPI.MAX)

    def mean_contact_fraction(self) -> float:
        """Area-weighted mean contact fraction over all interfaces (collective)."""
        num = sum(float(np.dot(i.weights, i.state.f_new)) for i in self.interfaces)
        den = sum(float(i.weights.sum()) for i in self.interfaces)
        num, den = self.mech.comm.allreduce(np.array([num, den]), op=MPI.SUM)
        return num / den if den > 0 else 1.0

    def scalars(self) -> dict[str, float]:
        """History columns of the step (collective)."""
        st = [i.state for i in self.interfaces]
        return {
            "contact_fraction": self.mean_contact_fraction(),
            "min_contact_fraction": self._reduce([s.f_new for s in st], np.min, 1.0),
            "min_void_margin": self._reduce([s.void_margin for s in st], np.min, 1.0),
            "focused_current_density_mA_cm2":
                0.1 * self._reduce([s.focused_current for s in st], np.max, 0.0),
            "extrusion_depth_um": 1e6 * self._reduce([s.depth_new for s in st], np.max, 0.0),
            "flaw_pressure_MPa": 1e-6 * self._reduce([s.flaw_pressure for s in st], np.max, 0.0),
            "flaw_pressure_ratio": self._reduce([s.flaw_ratio for s in st], np.max, 0.0),
        }

    def worst(self, key: str) -> tuple[float, float, str]:
        """Largest focused current (key 'focused'), flaw pressure over its critical value
        ('flaw') or extrusion depth ('depth') with its radius and Li layer, the same on all
        ranks (collective)."""
        best = (-np.inf, 0.0, "")
        for itf in self.interfaces:
            v = {"focused": itf.state.focused_current, "flaw": itf.state.flaw_ratio,
                 "depth": itf.state.depth_new}[key]
            if v.size:
                k = int(np.argmax(v))
                x = itf.centres[:, k]
                r = float(x[0] if self.axisymmetric else np.hypot(x[0], x[1]))
                best = max(best, (float(v[k]), r, itf.li_layer))
        return max(self.mech.comm.allgather(best))

    def cell_values(self, name: str, ncells: int) -> np.ndarray:
        """A DG0 cell array with the stations' ``name`` on their Li cells (0 elsewhere)."""
        out = np.zeros(ncells)
        for itf in self.interfaces:
            v = {"contact_fraction": itf.state.f_new, "void_margin": itf.state.void_margin,
                 "focused_current_density": itf.state.focused_current,
                 "extrusion_depth": itf.state.depth_new,
                 "flaw_pressure_ratio": itf.state.flaw_ratio}[name]
            out[itf.cells] = v
        return out

    # ------------------------------------------------------------------ checkpoints
    def state_rows(self, ncells: int) -> np.ndarray:
        """(contact fraction, extrusion depth) per owned cell, NaN off the interfaces."""
        rows = np.full((ncells, 2), np.nan)
        for itf in self.interfaces:
            rows[itf.cells, 0] = itf.state.f
            rows[itf.cells, 1] = itf.state.depth
        return rows

    def set_state_rows(self, rows: np.ndarray) -> None:
        for itf in self.interfaces:
            itf.state.f = rows[itf.cells, 0].copy()
            itf.state.depth = rows[itf.cells, 1].copy()
            itf.state.restore()
