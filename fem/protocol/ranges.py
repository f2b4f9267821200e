"""The physical sense of the quantities in protocol steps: one table, :data:`STEP_RANGES`, of
hard ranges (outside: a :class:`~fem.errors.ProtocolError`) and plausible ranges (outside: a
:class:`~fem.errors.CaseWarning` naming the source of the range), in SI.

The stack pressure range is shared with the case's ``holder.pressure`` (fem.case.ranges); the
voltage of a cut-off or hold is also checked against the cathode's open-circuit window when the
cell has one (fem.cellstack.settings.check_protocol_voltages)."""

from __future__ import annotations

from fem.units import Range

_REF = "docs/references.md#"

#: Melting point of lithium (K): 180.5 degC. A cell with Li metal is solid below it only.
LI_MELTING_POINT = 453.65

#: The stack pressure (holder and Press / Release steps).
STACK_PRESSURE = Range(
    1e3, 2e9, (0.1e6, 500e6),
    "cells run at 1-100 MPa and their separators are pressed at up to 375-500 MPa "
    "(" + _REF + "park2025, " + _REF + "doux2020)",
    "below 1 kPa the platens carry less than the weight of the plunger; above 2 GPa the "
    "titanium plungers and the die yield (Ti-6Al-4V about 1 GPa, " + _REF + "datasheet-ti)",
    "MPa", 1e6)

#: Every quantity of a protocol step, by what it is.
STEP_RANGES: dict[str, Range] = {
    "pressure": STACK_PRESSURE,
    "duration": Range(
        1e-3, 3.2e8, (0.1, 1e7),
        "assembly steps last seconds to hours, holds and cycles hours to weeks (the lab "
        "study's longest hold is 24 h, docs/lab-study.md)",
        "shorter than 1 ms nothing in the stack moves; longer than 10 years no cell is tested",
        "s", 1.0),
    "current_density": Range(
        1e-6, 1e4, (1e-3, 200.0),
        "cells cycle at 0.01-10 mA/cm^2; critical current densities of Li | Li6PS5Cl lie "
        "below 10 mA/cm^2 (" + _REF + "kasemchainan2019)",
        "at 1 A/cm^2 (1e4 A/m^2) Li grows 5 um per second and the ohmic heat of a separator "
        "boils it; below 1e-6 A/m^2 (0.1 nA/cm^2) a current is leakage",
        "mA/cm^2", 10.0),
    "c_rate": Range(
        1e-4, 1000.0, (1e-3, 20.0),
        "cells are cycled from C/1000 (formation, GITT) to 20C (fast charge)",
        "above 1000C a full charge takes less than 4 s; below C/10000 it takes more than a "
        "year", "C", 1.0),
    "temperature": Range(
        200.0, 500.0, (253.15, 373.15),
        "battery tests run from -20 to 100 degC; the Li creep data cover room temperature to "
        "about 100 degC (" + _REF + "lepage2019)",
        "sulfide electrolytes and the creep laws are not defined outside 200-500 K (and a cell "
        "with Li metal must stay below its melting point, 180.5 degC)",
        "K", 1.0, lo_open=True, hi_open=True),
    "voltage": Range(
        1e-3, 6.0, (1e-3, 5.0),
        "Li cathodes work below 5 V vs Li (the cards' open-circuit tables: LiCoO2 up to "
        "4.24 V, NCM811 4.28 V; " + _REF + "chen2020, " + _REF + "ramadass2004)",
        "a cell voltage must be > 0; no Li cathode exceeds 6 V and no electrolyte survives it",
        "V", 1.0),
    "areal_capacity": Range(
        1e-3, 3.6e8, (36.0, 7.2e5),
        "a half cycle of a critical-current test passes 0.001-20 mAh/cm^2 (0.1 mAh/cm^2 in "
        "the bundled CCD case)",
        "must be > 0; 10 Ah/cm^2 is 50 mm of Li", "mAh/cm^2", 3.6e4),
}
