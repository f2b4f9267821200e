"""How long each protocol step is expected to take, for the progress bar and the cost estimate.

A step with a duration takes it. A galvanostatic step "until V" is expected to pass the
capacity left on its way: charging the cathode from its state of charge s to full takes
(1 - s) Q / |i|, discharging s Q / |i| (Q the areal capacity; s tracked through the protocol
from the pristine, discharged cathode), at most its longest duration; without a cathode, or for
a constant-voltage hold "until" a current, the longest duration, at most HOLD_GUESS.
"""

from __future__ import annotations

from fem.protocol.steps import Galvanostatic, Potentiostatic, ProtocolEntry

#: Expected length of a constant-voltage hold or an open-ended step (s).
HOLD_GUESS = 3600.0


def expected_durations(protocol: list[ProtocolEntry], areal_capacity: float | None
                       ) -> list[float]:
    """The expected duration (s) of every protocol entry."""
    out = []
    soc = 0.0
    for e in protocol:
        st = e.step
        if isinstance(st, Galvanostatic):
            i = abs(st.current(areal_capacity)) if (st.current_density is not None
                                                    or areal_capacity) else 0.0
            if st.duration is not None:
                t = st.duration
            elif areal_capacity and i > 0:
                left = (1.0 - soc) if st.direction > 0 else soc
                t = min(max(left, 0.0) * areal_capacity / i, st.max_duration)
            else:
                t = min(st.max_duration, HOLD_GUESS)
            if areal_capacity:
                soc = min(max(soc + st.direction * i * t / areal_capacity, 0.0), 1.0)
            out.append(t)
        elif isinstance(st, Potentiostatic):
            out.append(st.duration if st.duration is not None
                       else min(st.max_duration, HOLD_GUESS))
        else:
            out.append(st.duration or 0.0)
    return out
