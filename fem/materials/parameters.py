"""What a material card may hold: every parameter with its dimension and its range, and the
material classes a card belongs to.

:data:`RANGES` is the one table of the physical sense of the card parameters: a hard range
(outside it a card value, bundled or overridden by a case, is a
:class:`~fem.errors.CaseError`) and a plausible range (outside it a
:class:`~fem.errors.CaseWarning` naming the source of the range: a paper or data sheet of
docs/references.md, or a physical argument). Bounds in SI; ``unit`` is how they are shown.
"""

from __future__ import annotations

from fem.units import Range

#: The material classes a card may belong to (``class`` in the card) and what they are. A layer
#: role takes cards of some classes only (fem.case.roles.ROLE_CLASSES).
CLASSES: dict[str, str] = {
    "li_metal": "lithium metal (a foil, plated and stripped)",
    "solid_electrolyte": "a solid electrolyte (an ion conductor that insulates electrons)",
    "cathode_composite": "a composite cathode (active material, electrolyte and carbon)",
    "anode_alloy": "an alloy anode that takes up Li (Si)",
    "metal": "a structural metal (plungers, current collectors, dies)",
    "polymer": "a structural polymer (dies, spacers)",
}

#: The dimension of every material parameter assb-fem knows.
PARAMETERS: dict[str, str] = {
    "youngs_modulus": "pressure",
    "poissons_ratio": "dimensionless",
    "density": "density",
    "relative_density": "dimensionless",
    "molar_volume": "molar_volume",
    "creep_exponent": "dimensionless",
    "creep_reference_rate": "strain_rate",
    "creep_reference_stress": "pressure",
    "creep_reference_temperature": "temperature",
    "creep_activation_energy": "energy_per_mol",
    "size_effect_length": "length",
    "size_effect_exponent": "dimensionless",
    "anand_rate_prefactor": "strain_rate",
    "anand_rate_sensitivity": "dimensionless",
    "anand_initial_resistance": "pressure",
    "anand_hardening_modulus": "pressure",
    "anand_saturation_coefficient": "pressure",
    "anand_saturation_exponent": "dimensionless",
    "anand_hardening_exponent": "dimensionless",
    "ionic_conductivity": "conductivity",
    "ionic_activation_energy": "energy_per_mol",
    "electronic_conductivity": "conductivity",
    "active_mass_fraction": "dimensionless",
    "specific_capacity": "specific_capacity",
    "first_cycle_efficiency": "dimensionless",
    "volume_change_full_charge": "dimensionless",
    "li_partial_molar_volume": "molar_volume",
    "active_volume_fraction": "dimensionless",
    "initial_lithiation": "dimensionless",
    "molar_mass": "molar_mass",
    "solid_diffusivity": "diffusivity",
    "particle_radius": "length",
    "exchange_current_density": "current_density",
    "thermal_expansion": "thermal_expansion",
    "findley_coefficient": "dimensionless",
    "findley_time": "time",
    "findley_exponent": "dimensionless",
    # compaction of a pressed powder (fem.mechanics.compaction_law)
    "heckel_yield_pressure": "pressure",
    "heckel_intercept": "dimensionless",
    "pressing_pressure": "pressure",
    "unloading_modulus": "pressure",
    "hertz_exponent": "dimensionless",
    "critical_state_slope": "dimensionless",
    "porous_poissons_ratio": "dimensionless",
}

_REF = "docs/references.md#"
_FRACTION = "a fraction of a whole lies in (0, 1]"
_GPA, _MPA, _KJ, _CM3 = ("GPa", 1e9), ("MPa", 1e6), ("kJ/mol", 1e3), ("cm^3/mol", 1e-6)


def _r(lo: float, hi: float, plausible: tuple[float, float], why: str, hard_why: str,
       unit: tuple[str, float] = ("", 1.0), lo_open: bool = False, hi_open: bool = False) -> Range:
    return Range(lo, hi, plausible, why, hard_why, unit[0], unit[1], lo_open, hi_open)


#: Hard and plausible range of every parameter in :data:`PARAMETERS` (SI).
RANGES: dict[str, Range] = {
    "youngs_modulus": _r(
        1e6, 1.2e12, (1e9, 400e9),
        "the solids of a cell stack: Li 7.8 GPa (the softest, " + _REF + "masias2019), PEEK "
        "3.6 GPa (" + _REF + "datasheet-peek), Li6PS5Cl 22 GPa (" + _REF + "singh2022), Ti "
        "110 GPa (" + _REF + "datasheet-ti), oxides up to about 200 GPa (" + _REF +
        "koerver2018)",
        "no solid is stiffer than diamond (1.2 TPa); below 1 MPa (rubber) a layer cannot carry "
        "a stack pressure of MPa in small strain", _GPA),
    "poissons_ratio": _r(
        -1.0, 0.5, (0.15, 0.45),
        "0.22 (Si) to 0.40 (PEEK) in the stack; Li 0.38 (" + _REF + "masias2019)",
        "isotropic elasticity is stable only for -1 < nu < 0.5", lo_open=True, hi_open=True),
    "density": _r(
        1.0, 25e3, (400.0, 12e3),
        "Li 0.534 g/cm^3 is the lightest solid element; the stack's materials lie between it "
        "and Ti 4.51 g/cm^3 (" + _REF + "handbook-densities)",
        "no solid is lighter than an aerogel (about 1 kg/m^3) or denser than osmium "
        "(22.6 g/cm^3)", ("g/cm^3", 1e3)),
    "relative_density": _r(
        0.01, 1.0, (0.5, 1.0),
        "cold-pressed powder layers keep 0.6-0.9 of the solid density (" + _REF +
        "minnmann2021, " + _REF + "doux2020)",
        "the solid fraction of a layer: below 1 % it is no longer a layer; above 1 impossible"),
    "molar_volume": _r(
        1e-7, 2e-4, (5e-6, 30e-6),
        "molar volumes of the metals of a cell: Li 13.0 cm^3/mol (" + _REF +
        "derived-li-molar-volume)",
        "no solid element has a molar volume above 70 cm^3/mol (Cs)", _CM3),
    "creep_exponent": _r(
        1.0, 20.0, (1.0, 10.0),
        "power-law creep of metals has n = 3-8; Li 6.56 (" + _REF + "derived-norton-fit), "
        "dislocation climb 5-7 (" + _REF + "masias2019)",
        "n = 1 is linear (diffusional) creep, n < 1 is not creep; above n = 20 the power law "
        "has broken down (doubling the stress multiplies the rate by a million)"),
    "creep_reference_rate": _r(
        1e-30, 1e3, (1e-10, 1.0),
        "bulk Li creeps at 7.7e-3 1/s at 1 MPa (" + _REF + "derived-norton-fit); calibrated "
        "micro-scale rates are orders of magnitude lower",
        "a creep rate must be > 0; at 1e3 1/s the 'creep' is impact loading", ("1/s", 1.0)),
    "creep_reference_stress": _r(
        1.0, 1e9, (0.1e6, 100e6),
        "the normalisation of the Li Norton fit is 1 MPa (" + _REF + "derived-norton-fit)",
        "a stress scale must be > 0 and below the strength of the stack's solids (1 GPa)",
        _MPA),
    "creep_reference_temperature": _r(
        1.0, 2000.0, (250.0, 400.0),
        "Li creep is measured from room temperature to about 100 degC (" + _REF +
        "masias2019, " + _REF + "lepage2019)",
        "an absolute temperature must be > 0; no battery material is solid above 2000 K",
        ("K", 1.0)),
    "creep_activation_energy": _r(
        0.0, 1e6, (10e3, 200e3),
        "Li: 37 kJ/mol (" + _REF + "ecmlab-continuum); self-diffusion in metals 50-300 kJ/mol",
        "a negative activation energy would make creep slower when hot; 0 is athermal", _KJ),
    "anand_rate_prefactor": _r(
        1e-30, 1e12, (1.0, 1e8),
        "the Li Anand-type set has 4.25e4 1/s (" + _REF + "ecmlab-continuum)",
        "a rate prefactor must be > 0; above 1e12 1/s it exceeds atomic vibration "
        "frequencies' share of a strain rate", ("1/s", 1.0)),
    "anand_rate_sensitivity": _r(
        0.0, 1.0, (0.01, 0.5),
        "Li: m = 0.15 (" + _REF + "ecmlab-continuum), 0.18 (" + _REF + "narayan2018)",
        "the strain-rate sensitivity m lies in (0, 1] (m = 1: linear viscous)", lo_open=True),
    "anand_initial_resistance": _r(
        1.0, 1e9, (0.1e6, 100e6),
        "Li: 0.95 MPa (" + _REF + "ecmlab-continuum), 2 MPa (" + _REF + "narayan2018)",
        "a deformation resistance must be > 0 and below 1 GPa", _MPA),
    "anand_hardening_modulus": _r(
        0.0, 100e9, (0.0, 1e9),
        "Li: 10 MPa (" + _REF + "ecmlab-continuum), 40 MPa (" + _REF + "narayan2018)",
        "a hardening modulus is >= 0 (0: no hardening) and below the elastic modulus of any "
        "solid", _MPA),
    "anand_saturation_coefficient": _r(
        1.0, 1e9, (0.1e6, 100e6),
        "Li: 2 MPa (" + _REF + "ecmlab-continuum), 8 MPa (" + _REF + "narayan2018)",
        "a saturation resistance must be > 0 and below 1 GPa", _MPA),
    "anand_saturation_exponent": _r(
        0.0, 1.0, (0.0, 0.5),
        "Li: 0.05 (" + _REF + "ecmlab-continuum)",
        "the saturation exponent lies in [0, 1]"),
    "anand_hardening_exponent": _r(
        0.0, 10.0, (1.0, 5.0),
        "Li: 2.0 (" + _REF + "ecmlab-continuum), 1.8 (" + _REF + "narayan2018)",
        "the hardening exponent a must be > 0 (a >= 1 in Anand's model); above 10 the "
        "hardening is a step", lo_open=True),
    "ionic_conductivity": _r(
        1e-12, 1e3, (1e-6, 10.0),
        "Li6PS5Cl 0.16-0.28 S/m (" + _REF + "derived-lpscl-conductivity); composite cathodes "
        "about 1e-2 S/m (" + _REF + "minnmann2021); the best superionic conductors 2.5 S/m",
        "a conductivity must be > 0 (a negative one creates energy); no ion conductor "
        "reaches 1e3 S/m", ("S/m", 1.0)),
    "ionic_activation_energy": _r(
        0.0, 300e3, (10e3, 100e3),
        "Li6PS5Cl 34.7 kJ/mol (0.36 eV, " + _REF + "singh2022); solid electrolytes 0.2-0.6 eV",
        "an activation energy is >= 0; above 300 kJ/mol (3 eV) nothing conducts ions", _KJ),
    "electronic_conductivity": _r(
        0.0, 1e8, (1e-10, 1e7),
        "from solid electrolytes (Li6PS5Cl 1.8e-6 S/m, " + _REF + "zhou2019) to metals "
        "(Ti 2.4e6 S/m)",
        "a conductivity is >= 0 (a negative one creates energy); silver, the best conductor, "
        "has 6.3e7 S/m", ("S/m", 1.0)),
    "active_mass_fraction": _r(
        1e-3, 1.0, (0.3, 0.95),
        "composite cathodes hold 60-80 wt% active material (the lab study 66 %, "
        "docs/lab-study.md#cell-build)", _FRACTION),
    "specific_capacity": _r(
        1.0, 3860 * 3.6e3, (50 * 3.6e3, 350 * 3.6e3),
        "intercalation cathodes deliver 140 (LiCoO2) to 240 (Ni-rich NCM) mAh/g (" + _REF +
        "chen2020, " + _REF + "ramadass2004)",
        "a capacity must be > 0; Li metal's 3860 mAh/g is the most any electrode stores per "
        "mass", ("mAh/g", 3.6e3)),
    "first_cycle_efficiency": _r(
        1e-3, 1.0, (0.5, 1.0),
        "first-cycle efficiencies of 75-95 % (docs/lab-study.md#silicon-cells)", _FRACTION),
    "volume_change_full_charge": _r(
        -1.0, 4.0, (-0.1, 0.1),
        "layered oxides change by -8 % to +3 % over a charge (" + _REF + "koerver2018)",
        "a volume cannot shrink by 100 % or more; Si's +300 % (" + _REF + "obrovac2007) is "
        "the largest swelling of any electrode", lo_open=True),
    "li_partial_molar_volume": _r(
        1e-7, 2e-4, (5e-6, 15e-6),
        "Li in Li_xSi 9 cm^3/mol (" + _REF + "derived-lixsi-swelling); Li metal 13 cm^3/mol",
        "must be > 0 and below the 70 cm^3/mol of the most voluminous solid element", _CM3),
    "active_volume_fraction": _r(
        1e-3, 1.0, (0.2, 0.8),
        "the active material fills 30-60 vol% of a composite cathode (" + _REF +
        "minnmann2021)", _FRACTION),
    "initial_lithiation": _r(
        0.0, 4.4, (0.0, 3.75),
        "x in Li_xSi: up to Li15Si4 (x = 3.75) at room temperature (" + _REF + "obrovac2007)",
        "x in Li_xSi lies in [0, 4.4]: no negative Li content; Li22Si5 (x = 4.4) is the most "
        "lithiated phase"),
    "molar_mass": _r(
        1e-3, 1.0, (5e-3, 250e-3),
        "the formula units of electrode materials: Si 28.09 g/mol (" + _REF +
        "handbook-densities)",
        "no element is lighter than H (1 g/mol); formula units of solids stay below 1 kg/mol",
        ("g/mol", 1e-3)),
    "solid_diffusivity": _r(
        1e-25, 1e-6, (1e-18, 1e-10),
        "Li in NCM811 4e-15 m^2/s (" + _REF + "chen2020); solid-state diffusivities "
        "1e-18 to 1e-10 m^2/s",
        "a diffusivity must be > 0; gases diffuse at 1e-5 m^2/s, solids far below 1e-6",
        ("m^2/s", 1.0)),
    "size_effect_length": _r(
        1e-9, 1.0, (10e-6, 1e-3),
        "Li pillars: 125.6 um through 105 MPa at 1.39 um and 15 MPa at 9.45 um (" + _REF +
        "derived-li-size-effect, " + _REF + "xu2017)",
        "a length > 1 nm and below 1 m", ("um", 1e-6)),
    "size_effect_exponent": _r(
        0.0, 5.0, (0.3, 1.5),
        "strength ~ size^-m with m = 0.68 (room temperature) to 1.0 (90 degC) for Li pillars ("
        + _REF + "xu2017); 0.5-1 for metal micropillars in general",
        "an exponent in (0, 5]", lo_open=True),
    "particle_radius": _r(
        1e-9, 1e-3, (50e-9, 50e-6),
        "secondary particles of cathode powders are 1-20 um across (the cards: 2.5 um)",
        "a particle larger than 1 mm is thicker than any layer; below 1 nm it is a molecule",
        ("um", 1e-6)),
    "exchange_current_density": _r(
        1e-9, 1e5, (1e-3, 1e3),
        "Li | Li6PS5Cl about 50 A/m^2 per true contact (" + _REF + "derived-exchange-current); "
        "oxide | sulfide interfaces about 1 A/m^2",
        "must be > 0 (no reaction at all is an insulator, not an interface); 1e5 A/m^2 "
        "(10 A/cm^2) is beyond any electrode reaction", ("A/m^2", 1.0)),
    "thermal_expansion": _r(
        -50e-6, 500e-6, (1e-6, 100e-6),
        "the stack's solids: Si 2.6e-6, Ti 8.6e-6 (" + _REF + "datasheet-ti), steel 12e-6 ("
        + _REF + "datasheet-steel), Li 46e-6 (" + _REF + "datasheet-li-cte), PEEK 47e-6 ("
        + _REF + "datasheet-peek) 1/K",
        "a few solids shrink on heating (down to about -10e-6 1/K); none expands by more than "
        "500e-6 1/K (rubbers)", ("1/K", 1.0)),
    "findley_coefficient": _r(
        0.0, 10.0, (0.0, 1.0),
        "glassy polymers creep by 5-50 % of their elastic strain over a year; PEEK 0.15 after 14 "
        "months at 30 MPa (" + _REF + "maksimov1997)",
        "the creep compliance is >= 0 times the elastic one; 10 times is flow, not creep"),
    "findley_time": _r(
        1.0, 3.2e9, (3600.0, 3.2e8),
        "the duration of the creep test the law is fitted to: hours to years (" + _REF +
        "maksimov1997: 14 months)",
        "a time scale between 1 s and 100 years", ("s", 1.0)),
    "findley_exponent": _r(
        0.0, 1.0, (0.05, 0.5),
        "Findley exponents of glassy polymers 0.1-0.3 (" + _REF + "maksimov1997)",
        "the exponent of t^m lies in (0, 1): creep that slows down", lo_open=True, hi_open=True),
    "heckel_yield_pressure": _r(
        1e6, 1e10, (100e6, 1e9),
        "Heckel yield pressures of sulfide electrolyte powders 210-334 MPa (" + _REF
        + "sakuda2013, " + _REF + "doux2020); pharmaceutical and ceramic powders 50-1000 MPa",
        "a powder that yields between 1 MPa and 10 GPa", ("MPa", 1e6)),
    "heckel_intercept": _r(
        0.0, 10.0, (0.2, 1.5),
        "intercepts of sulfide and pharmaceutical powders 0.3-1.0 (" + _REF + "sakuda2013): a "
        "loose density 1 - exp(-A) of 0.26-0.78",
        "A >= 0 (a loose density >= 0); 10 is a powder denser than solid"),
    "pressing_pressure": _r(
        1e6, 5e9, (100e6, 1e9),
        "sulfide pellets are pressed at 250-500 MPa (" + _REF + "doux2020, " + _REF
        + "park2025; the lab study 370 MPa)", "between 1 MPa and 5 GPa", ("MPa", 1e6)),
    "unloading_modulus": _r(
        1e6, 1e12, (1e9, 100e9),
        "constrained unloading moduli of pressed sulfide pellets and composites 8-50 GPa ("
        + _REF + "kato2014, " + _REF + "derived-compaction-parameters)",
        "a solid between 1 MPa and 1 TPa", ("GPa", 1e9)),
    "hertz_exponent": _r(
        0.0, 1.0, (0.0, 0.34),
        "1/3 for Hertzian particle contacts, 0 for bonded necks (" + _REF + "johnson1985)",
        "the moduli grow with pressure like p^n, 0 <= n < 1", hi_open=True),
    "critical_state_slope": _r(
        0.0, 3.0, (0.8, 1.6),
        "critical-state slopes of powders and soils 0.9-1.5 (friction angles 23-37 degrees, "
        + _REF + "roscoe1968)", "M > 0; M = 3 is a friction angle of 90 degrees",
        lo_open=True),
    "porous_poissons_ratio": _r(
        -1.0, 0.5, (0.15, 0.4),
        "porous compacts 0.2-0.36 (" + _REF + "koerver2018 for the dense 0.33-0.37)",
        "an isotropic solid has -1 < nu < 0.5", lo_open=True, hi_open=True),
}

#: Hard and plausible range of every holder-card parameter (fem.materials.holder_cards), SI.
HOLDER_RANGES: dict[str, Range] = {
    "plunger_length": _r(1e-3, 1.0, (5e-3, 0.2), "plungers are 1-10 cm long (" + _REF +
                         "park2025; the lab card 40 mm)", "a part longer than 1 mm and "
                         "shorter than 1 m", ("mm", 1e-3)),
    "plunger_diameter": _r(1e-3, 1.0, (2e-3, 0.1), "pellet-cell plungers of 6-13 mm (" + _REF +
                           "park2025)", "a part wider than 1 mm and narrower than 1 m",
                           ("mm", 1e-3)),
    "insulator_length": _r(0.0, 1.0, (0.0, 0.05), "insulating spacers of a few mm (0: none)",
                           "0 (no insulator) to 1 m", ("mm", 1e-3)),
    "insulator_diameter": _r(1e-3, 1.0, (2e-3, 0.1), "as wide as the plunger it carries",
                             "a part wider than 1 mm and narrower than 1 m", ("mm", 1e-3)),
    "screw_count": _r(1.0, 100.0, (1.0, 12.0), "screw holders have 2-8 screws (the lab card 3)",
                      "at least 1, at most 100"),
    "screw_area": _r(1e-8, 1e-2, (1e-6, 1e-3), "M3-M12 screws: 5-85 mm^2 of stress area",
                     "a screw thicker than 0.1 mm and thinner than 0.1 m", ("mm^2", 1e-6)),
    "plate_compliance": _r(0.0, 1e-3, (0.0, 1e-6), "steel plates: 1e-10 to 1e-8 m/N",
                           "0 (rigid) to 1 mm per newton", ("m/N", 1.0)),
    "load_cell_length": _r(0.0, 1.0, (0.0, 0.1), "load cells of 1-5 cm (0: none)",
                           "0 (none) to 1 m", ("mm", 1e-3)),
    "load_cell_thermal_expansion": _r(-50e-6, 500e-6, (1e-6, 30e-6),
                                      "steel and aluminium load cells: 11-24e-6 1/K",
                                      RANGES["thermal_expansion"].hard_why, ("1/K", 1.0)),
    "screw_thermal_expansion": _r(-50e-6, 500e-6, (5e-6, 30e-6),
                                  "steel screws: 10-12e-6 1/K (alloy, martensitic and "
                                  "precipitation-hardened grades) to 16-17.3e-6 1/K (austenitic "
                                  "stainless, A2/A4)",
                                  RANGES["thermal_expansion"].hard_why, ("1/K", 1.0)),
    "load_cell_compliance": _r(0.0, 1e-3, (0.0, 1e-6), "load cells: 1e-9 to 1e-7 m/N",
                               "0 (none) to 1 mm per newton", ("m/N", 1.0)),
    "die_clearance": _r(0.0, 1e-3, (0.0, 100e-6), "die bores fit their plungers within 5-100 um "
                        "(the lab card 45 um)", "0 (flush) to 1 mm", ("um", 1e-6)),
    "edge_chamfer": _r(0.0, 5e-3, (0.0, 1e-3), "plunger edges are broken by 0.1-0.5 mm",
                       "0 (sharp) to 5 mm", ("mm", 1e-3)),
    "entrance_length": _r(0.0, 100.0, (0.0, 10.0), "the entrance of the clearance in "
                          "clearances (the lab card 1)", "0 to 100 clearances"),
    "spring_count": _r(1.0, 100.0, (1.0, 12.0), "holders have 1-8 springs (3 in the lab study, "
                       + _REF + "derived-spring-holder)", "at least 1, at most 100"),
    "spring_rate": _r(1.0, 1e9, (100.0, 1e7), "die springs of 0.1-10000 N/mm (" + _REF +
                      "derived-spring-holder)", "a spring rate is > 1 N/m and below 1e9 N/m",
                      ("N/m", 1.0)),
    "spring_max_load": _r(1e-3, 1e6, (1.0, 1e5), "die springs carry 10 N to 10 kN (" + _REF +
                          "derived-spring-holder)", "a load > 1 mN and below 1 MN", ("N", 1.0)),
}

#: The material classes of a holder card's parts (its choices ``<part>_material``).
HOLDER_PART_CLASSES: dict[str, tuple[str, ...]] = {
    "plunger": ("metal",), "insulator": ("polymer",), "screw": ("metal",),
    "die": ("polymer", "metal"),
}
