"""Open-circuit potentials (vs Li/Li+) as interpolated tables with their sources.

Each :class:`OcvTable` holds increasing abscissae ``x`` (state of charge or Li content), the
potential ``U`` in volts and a source string, and interpolates piecewise-linearly (clamped at the
ends). Available tables (see :data:`TABLES`):

* ``ncm811``: NCM811 vs state of charge. Nodes sampled from the published fit of Chen et al.,
  J. Electrochem. Soc. 167 (2020) 080534 (LG M50 NMC811 positive electrode, GITT), as used in
  PyBaMM ``nmc_LGM50_ocp_Chen2020``::

      U(y) = -0.809 y + 4.4875 - 0.0428 tanh(18.5138 (y - 0.5542))
             - 17.7326 tanh(15.789 (y - 0.3117)) + 17.5842 tanh(15.9308 (y - 0.312))

  with the Li stoichiometry y = 0.9084 - 0.6423 soc (the 0-100 % SOC window of that cell,
  y(100 %) = 0.2661, 4.28 V; y(0 %) = 0.9084, 3.56 V; stoichiometry limits as in PyBaMM's
  Chen2020 set [U: recalled, not re-derived]).
* ``lco``: LiCoO2 vs state of charge, sampled from the rational fit of Ramadass et al.,
  J. Electrochem. Soc. 151 (2004) A196 (valid 0.5 <= y <= 0.99 in Li_y CoO2; the same fit appears
  in earlier Newman-group models [U]), with soc = (0.99 - y)/0.49: 0 % at y = 0.99 (3.43 V, on
  the steep end-of-discharge tail; 3.79 V at y = 0.95), 100 % at y = 0.5 (4.24 V, about
  137 mAh/g).
* ``lixsi``: amorphous Li_x Si lithiation branch vs x (0 ... 3.75). **Approximate**: values
  recalled from typical slow-rate lithiation curves of amorphous Si (Obrovac & Krause, J.
  Electrochem. Soc. 154 (2007) A103; Obrovac & Chevrier, Chem. Rev. 114 (2014) 11444), not
  digitised from a specific figure; uncertainty about +-50 mV [U]. The delithiation branch lies
  0.2-0.3 V higher (hysteresis), and first lithiation of crystalline Si runs on a ~0.1 V plateau.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class OcvTable:
    """A piecewise-linear open-circuit potential U(x) in volts vs Li/Li+."""

    name: str
    variable: str  # what x is: "soc" or "x in Li_xSi"
    x: np.ndarray
    U: np.ndarray
    source: str

    def __post_init__(self) -> None:
        if len(self.x) != len(self.U) or len(self.x) < 2 or np.any(np.diff(self.x) <= 0):
            raise ValueError(f"OCV table {self.name}: x must increase and match U in length")

    def __call__(self, x):
        """U(x) in volts, clamped to the table's end values outside its range."""
        return np.interp(x, self.x, self.U)

    def slope(self, x):
        """dU/dx of the interpolant (V per unit of x)."""
        x = np.asarray(x, dtype=float)
        k = np.clip(np.searchsorted(self.x, x, side="right") - 1, 0, len(self.x) - 2)
        return (self.U[k + 1] - self.U[k]) / (self.x[k + 1] - self.x[k])


def ncm811_chen2020(y):
    """NMC811 OCP fit of Chen et al. 2020 (JES 167, 080534) vs Li stoichiometry y."""
    y = np.asarray(y, dtype=float)
    return (-0.809 * y + 4.4875 - 0.0428 * np.tanh(18.5138 * (y - 0.5542))
            - 17.7326 * np.tanh(15.789 * (y - 0.3117)) + 17.5842 * np.tanh(15.9308 * (y - 0.312)))


def lco_ramadass2004(y):
    """LiCoO2 OCP fit of Ramadass et al. 2004 (JES 151, A196) vs Li stoichiometry y (0.5-0.99)."""
    y = np.asarray(y, dtype=float)
    num = (-4.656 + 88.669 * y**2 - 401.119 * y**4 + 342.909 * y**6 - 462.471 * y**8
           + 433.434 * y**10)
    den = -1 + 18.933 * y**2 - 79.532 * y**4 + 37.311 * y**6 - 73.083 * y**8 + 95.96 * y**10
    return num / den


NCM811_Y_EMPTY, NCM811_Y_FULL = 0.9084, 0.2661
LCO_Y_EMPTY, LCO_Y_FULL = 0.99, 0.5

_SOC = np.linspace(0.0, 1.0, 41)

NCM811 = OcvTable(
    "ncm811", "soc", _SOC,
    ncm811_chen2020(NCM811_Y_EMPTY + (NCM811_Y_FULL - NCM811_Y_EMPTY) * _SOC),
    "sampled (41 nodes) from the fit of Chen et al., JES 167 (2020) 080534 (LG M50 NMC811, "
    "PyBaMM nmc_LGM50_ocp_Chen2020), y = 0.9084 - 0.6423 soc [S fit; SOC window U]",
)

LCO = OcvTable(
    "lco", "soc", _SOC,
    lco_ramadass2004(LCO_Y_EMPTY + (LCO_Y_FULL - LCO_Y_EMPTY) * _SOC),
    "sampled (41 nodes) from the rational fit of Ramadass et al., JES 151 (2004) A196 "
    "(LiCoO2, 0.5 <= y <= 0.99), y = 0.99 - 0.49 soc [S fit]",
)

LIXSI = OcvTable(
    "lixsi", "x in Li_xSi",
    np.array([0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 3.75]),
    np.array([0.55, 0.40, 0.33, 0.29, 0.26, 0.22, 0.18, 0.13, 0.09, 0.05, 0.03]),
    "APPROXIMATE amorphous-Si lithiation branch recalled from typical slow-rate curves "
    "(Obrovac & Krause, JES 154 (2007) A103; Obrovac & Chevrier, Chem. Rev. 114 (2014) 11444); "
    "not digitised from a figure, +-50 mV [U]; delithiation is 0.2-0.3 V higher",
)

#: All bundled tables by name.
TABLES: dict[str, OcvTable] = {t.name: t for t in (NCM811, LCO, LIXSI)}


#: OCV drop (V per unit SOC, or per unit x of Li_xSi) below the reversible limit of the first
#: charge [D: a steep tail that ends a discharge at its cut-off; 1 V per 2 % of capacity] ...
TAIL_SLOPE = 50.0
#: ... capped at this drop (V), so that a fully lithiated region cannot drive absurd internal
#: currents (its OCV stays above U(floor) - TAIL_MAX; discharge cut-offs lie well within)
TAIL_MAX = 1.5


def extended(table: OcvTable, x: np.ndarray) -> np.ndarray:
    """The table's OCV, continued linearly with its end slopes outside its range."""
    x = np.asarray(x, dtype=float)
    u = table(x)
    lo, hi = table.x[0], table.x[-1]
    s_lo = (table.U[1] - table.U[0]) / (table.x[1] - table.x[0])
    s_hi = (table.U[-1] - table.U[-2]) / (table.x[-1] - table.x[-2])
    return np.where(x < lo, table.U[0] + s_lo * (x - lo),
                    np.where(x > hi, table.U[-1] + s_hi * (x - hi), u))


def segment_slope(table: OcvTable, x: np.ndarray, upward: bool) -> np.ndarray:
    """dU/dx of the table's segment at x (the segment above a node when ``upward``, below
    otherwise), with the end slopes outside the table."""
    m = np.diff(table.U) / np.diff(table.x)
    k = np.searchsorted(table.x, x, side="right" if upward else "left") - 1
    return m[np.clip(k, 0, len(m) - 1)]


def open_circuit_potential(name: str, x):
    """Open-circuit potential of the table ``name`` at ``x`` (see :data:`TABLES`)."""
    try:
        table = TABLES[name]
    except KeyError:
        raise KeyError(f"unknown OCV table {name!r}; available: {sorted(TABLES)}") from None
    return table(x)
