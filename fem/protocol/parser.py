"""Parse PyBaMM-like protocol strings into step objects.

Grammar (case-insensitive; Q is a number with units, e.g. ``25 MPa``, ``30 min``)::

    Press at Q for Q                        Press at 25 MPa for 30 min
    Release to Q [over Q]                   Release to 5 MPa
    Rest for Q | Hold for Q                 Rest for 10 min
    Lock gap                                Lock gap
    Set temperature to Q [over Q]           Set temperature to 40 degC over 30 min
    (Charge|Discharge) at I for Q           Charge at 0.5 mA/cm^2 for 1 h
    (Charge|Discharge) at I until Q         Discharge at C/10 until 2.5 V
    Hold at Q for Q | Hold at Q until I     Hold at 4.3 V until C/20
                                            (constant voltage; needs the electrochemistry)
    Ramp current from Q to Q in steps of Q every Q
                                            Ramp current from 0.1 to 2 mA/cm^2 in steps of
                                            0.1 mA/cm^2 every 1 h
    CCD ramp from I to I in steps of I with Q per half cycle
                                            CCD ramp from 0.1 to 5 mA/cm^2 in steps of
                                            0.1 mA/cm^2 with 0.1 mAh/cm^2 per half cycle

I is a current density (``0.5 mA/cm^2``) or a C-rate (``C/10``, ``2C``). A ramp expands into
one charge step per current level. A CCD ramp (critical current density test) expands into a
charge and a discharge step per level, each passing the given areal capacity (or lasting the
given time); with the interface model on, the run stops at the predicted short and
summary.json reports the CCD.
"""

from __future__ import annotations

import math
import re
import warnings

from fem.errors import CaseError, CaseWarning, ProtocolError, quoted
from fem.protocol.ranges import STEP_RANGES
from fem.protocol.steps import (
    Galvanostatic,
    LockGap,
    Potentiostatic,
    Press,
    ProtocolEntry,
    Release,
    Rest,
    SetTemperature,
    Step,
)
from fem.units import _NUMBER, to_si

EXAMPLES = (
    '"Press at 25 MPa for 30 min"',
    '"Release to 5 MPa"',
    '"Rest for 10 min"',
    '"Lock gap"',
    '"Set temperature to 40 degC"',
    '"Charge at 0.5 mA/cm^2 for 1 h"',
    '"Charge at 0.2 mA/cm^2 until 4.3 V"',
    '"Discharge at C/10 until 2.5 V"',
    '"Hold at 4.3 V until C/20"',
    '"Ramp current from 0.1 to 2 mA/cm^2 in steps of 0.1 mA/cm^2 every 1 h"',
    '"CCD ramp from 0.1 to 5 mA/cm^2 in steps of 0.1 mA/cm^2 with 0.1 mAh/cm^2 per half cycle"',
)

_Q = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*[^\s]+"
_CRATE = r"C/(?:\d+\.?\d*)|(?:\d+\.?\d*|\.\d+)C"
_PATTERNS: list[tuple[str, re.Pattern]] = [
    ("press", re.compile(rf"^press at (?P<p>{_Q}) for (?P<t>{_Q})$", re.I)),
    ("release", re.compile(rf"^release to (?P<p>{_Q})(?: over (?P<t>{_Q}))?$", re.I)),
    ("rest", re.compile(rf"^(?:rest|hold) for (?P<t>{_Q})$", re.I)),
    ("potentiostatic", re.compile(
        rf"^hold at (?P<v>{_Q})(?: for (?P<t>{_Q})| until (?P<i>{_CRATE}|{_Q})"
        rf"(?: or (?P<tmax>{_Q}))?)$", re.I)),
    ("lock", re.compile(r"^lock(?: the)? gap$", re.I)),
    ("temperature", re.compile(rf"^set temperature to (?P<T>{_Q})(?: over (?P<t>{_Q}))?$", re.I)),
    (
        "galvanostatic",
        re.compile(
            rf"^(?P<dir>charge|discharge) at (?P<i>{_CRATE}|{_Q})"
            rf"(?: for (?P<t>{_Q})| until (?P<v>{_Q})(?: or (?P<tmax>{_Q}))?)$",
            re.I,
        ),
    ),
    (
        "ccd",
        re.compile(
            r"^ccd ramp from (?P<a>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(?P<au>[^\s]*)"
            rf" to (?P<b>{_Q}) in steps of (?P<s>{_Q}) with (?P<q>{_Q}) per half cycle$",
            re.I,
        ),
    ),
    (
        "ramp",
        re.compile(
            r"^ramp current from (?P<a>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(?P<au>[^\s]*)"
            rf" to (?P<b>{_Q}) in steps of (?P<s>{_Q}) every (?P<t>{_Q})$",
            re.I,
        ),
    ),
]


def _allowed(extra: str = "") -> str:
    pre = f"{extra}; " if extra else ""
    return pre + "valid steps look like " + ", ".join(EXAMPLES)


def _crate(text: str) -> float | None:
    t = text.strip()
    if t.upper().startswith("C/"):
        d = float(t[2:])
        return 1.0 / d if d > 0 else math.inf  # C/0: refused by the caller
    if t.upper().endswith("C") and re.fullmatch(r"(?:\d+\.?\d*|\.\d+)C", t, re.I):
        return float(t[:-1])
    return None


def parse_step(text: object, key: str = "protocol.steps") -> list[Step]:
    """Parse one protocol string into one or more steps (a ramp gives several)."""
    if not isinstance(text, str):
        raise ProtocolError(key, text, _allowed("a step is a string"))
    s = " ".join(text.strip().rstrip(".").split())
    for kind, pat in _PATTERNS:
        m = pat.match(s)
        if m is None:
            continue
        try:
            return _build(kind, m, text, key)
        except ProtocolError:
            raise
        except CaseError as exc:  # a quantity of the step: name it
            raise ProtocolError(key, text, f"{exc.allowed} (in {quoted(exc.value)})") from None
    raise ProtocolError(key, text, _allowed("unknown or malformed step"))


def _checked(v: float, kind: str, key: str, text: str, what: str) -> float:
    """``v`` (SI) against the hard range of ``kind`` (:data:`STEP_RANGES`): a ProtocolError
    outside it, a CaseWarning outside the plausible range."""
    rng = STEP_RANGES[kind]
    problem = rng.violation(v)
    if problem is not None:
        raise ProtocolError(key, text, f"the {what} ({rng.show(v)}) {problem}")
    note = rng.implausibility(v)
    if note is not None:
        warnings.warn(f"{key} = {quoted(text)}: the {what} {note}", CaseWarning, stacklevel=2)
    return v


def _q(text: str, dimension: str, kind: str, key: str, step: str, what: str) -> float:
    """The quantity ``text`` of a step in SI, checked against :data:`STEP_RANGES`."""
    return _checked(to_si(text, dimension, key), kind, key, step, what)


def _build(kind: str, m: re.Match, text: str, key: str) -> list[Step]:
    g = m.groupdict()
    if kind == "press":
        p = _q(g["p"], "pressure", "pressure", key, text, "pressure")
        t = _q(g["t"], "time", "duration", key, text, "duration")
        return [Press(text=text, pressure=p, duration=t)]
    if kind == "release":
        p = _q(g["p"], "pressure", "pressure", key, text, "pressure")
        t = _q(g["t"], "time", "duration", key, text, "duration") if g["t"] else 10.0
        return [Release(text=text, pressure=p, duration=t)]
    if kind == "rest":
        return [Rest(text=text, duration=_q(g["t"], "time", "duration", key, text, "duration"))]
    if kind == "lock":
        return [LockGap(text=text)]
    if kind == "temperature":
        T = _q(g["T"], "temperature", "temperature", key, text, "temperature")
        ramp = _q(g["t"], "time", "duration", key, text, "heating time") if g["t"] else 0.0
        return [SetTemperature(text=text, temperature=T, ramp=ramp)]
    if kind == "galvanostatic":
        direction = 1 if g["dir"].lower() == "charge" else -1
        c_rate, i = _current(g["i"], key, text, "current")
        t = _q(g["t"], "time", "duration", key, text, "duration") if g["t"] else None
        v = _q(g["v"], "voltage", "voltage", key, text, "cut-off voltage") if g["v"] else None
        tmax = _q(g["tmax"], "time", "duration", key, text, "time limit") if g["tmax"] \
            else 100 * 3600.0
        return [
            Galvanostatic(text=text, direction=direction, current_density=i, c_rate=c_rate,
                          duration=t, until_voltage=v, max_duration=tmax)
        ]
    if kind == "potentiostatic":
        v = _q(g["v"], "voltage", "voltage", key, text, "hold voltage")
        if g["t"]:
            t = _q(g["t"], "time", "duration", key, text, "duration")
            return [Potentiostatic(text=text, voltage=v, duration=t)]
        c_rate, i = _current(g["i"], key, text, "end current")
        tmax = _q(g["tmax"], "time", "duration", key, text, "time limit") if g["tmax"] \
            else 100 * 3600.0
        return [Potentiostatic(text=text, voltage=v, until_current=i, until_c_rate=c_rate,
                               max_duration=tmax)]
    if kind == "ccd":
        return _ccd_ramp(g, text, key)
    # ramp
    a, ds, n = _levels(g, text, key)
    t = _q(g["t"], "time", "duration", key, text, "duration")
    return [
        Galvanostatic(text=f"{text} [{(a + k * ds) / 10:.4g} mA/cm^2]", direction=1,
                      current_density=a + k * ds, duration=t)
        for k in range(n)
    ]


def _current(text: str, key: str, step: str, what: str) -> tuple[float | None, float | None]:
    """(C-rate, None) or (None, current density in A/m^2) of ``text``, checked."""
    c_rate = _crate(text)
    if c_rate is not None:
        if not math.isfinite(c_rate):
            raise ProtocolError(key, step, "the C-rate must be finite (C/n with n > 0)")
        return _checked(c_rate, "c_rate", key, step, f"{what} (C-rate)"), None
    return None, _q(text, "current_density", "current_density", key, step, what)


def _levels(g: dict, text: str, key: str) -> tuple[float, float, int]:
    """Start current, step and number of levels of a ramp (A/m^2)."""
    b = to_si(g["b"], "current_density", key)
    unit_a = g["au"] or _NUMBER.match(g["b"]).group(2)  # "from 0.1 to 2 mA/cm^2": unit of the end
    a = to_si(f"{g['a']} {unit_a}", "current_density", key)
    ds = to_si(g["s"], "current_density", key)
    if not ds > 0:
        raise ProtocolError(key, text, "the current step must be > 0")
    if b < a:
        raise ProtocolError(key, text, "the end current must be >= the start current")
    levels = (b - a) / ds  # inf for a tiny step: check before int()
    n = int(levels + 1e-9) + 1 if levels < 1000 else 1001
    if n > 1000:
        raise ProtocolError(key, text, "a ramp may have at most 1000 current levels")
    for v, what in ((a, "start current"), (b, "end current")):
        _checked(v, "current_density", key, text, what)
    if n > 1:
        _checked(ds, "current_density", key, text, "current step")
    return a, ds, n


def _ccd_ramp(g: dict, text: str, key: str) -> list[Step]:
    """Charge then discharge at each level, each passing q (C/m^2) or lasting a time."""
    a, ds, n = _levels(g, text, key)
    try:
        q, per = to_si(g["q"], "areal_capacity", key), "capacity"
    except CaseError:
        try:
            q, per = to_si(g["q"], "time", key), "time"
        except CaseError:
            raise ProtocolError(key, text, f"expected an areal capacity (\"0.1 mAh/cm^2\") or a "
                                f"time (\"30 min\") per half cycle, got {g['q']!r}") from None
    _checked(q, "areal_capacity" if per == "capacity" else "duration", key, text,
             "capacity per half cycle" if per == "capacity" else "time per half cycle")
    out: list[Step] = []
    for k in range(n):
        i = a + k * ds
        t = q / i if per == "capacity" else q
        for direction, word in ((1, "charge"), (-1, "discharge")):
            out.append(Galvanostatic(text=f"{text} [{i / 10:.4g} mA/cm^2, {word}]",
                                     direction=direction, current_density=i, duration=t,
                                     ccd_level=i))
    return out


#: Most protocol entries a case may expand to (steps + repeat x cycle, ramps expanded).
MAX_ENTRIES = 1_000_000


def parse_protocol(section: dict) -> list[ProtocolEntry]:
    """Expand ``{"steps": [...], "cycle": [...], "repeat": N}`` into protocol entries.

    ``steps`` run once (assembly, formation); ``cycle`` then runs ``repeat`` times.
    """
    steps = section.get("steps", [])
    cycle = section.get("cycle", [])
    repeat = int(section.get("repeat", 1))
    out: list[ProtocolEntry] = []
    for i, text in enumerate(steps):
        key = f"protocol.steps[{i}]"
        for st in parse_step(text, key):
            out.append(ProtocolEntry(index=len(out), cycle=0, step=st, key=key))
    parsed_cycle = [
        (st, f"protocol.cycle[{i}]") for i, text in enumerate(cycle)
        for st in parse_step(text, f"protocol.cycle[{i}]")
    ]
    total = len(out) + repeat * len(parsed_cycle)
    if total > MAX_ENTRIES:
        raise ProtocolError("protocol.repeat", repeat,
                            f"the protocol expands to {total} steps; at most {MAX_ENTRIES} "
                            "(fewer repeats or ramp levels)")
    for c in range(repeat if parsed_cycle else 0):
        for st, key in parsed_cycle:
            out.append(ProtocolEntry(index=len(out), cycle=c + 1, step=st, key=key))
    if not out:
        raise ProtocolError("protocol.steps", steps, _allowed("the protocol has no steps"))
    return out
