"""What the cell-scale interface model takes from the cell besides its parameters
(:class:`fem.interface.contact_state.InterfaceParameters`), built from a case by
:mod:`fem.cellstack.settings`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InterfaceLayout:
    """The layers of the cell-scale interfaces: the separator (name, thickness in m) and the
    Li metal layers, bottom to top (of two, the lower one strips on charge)."""

    separator: str
    separator_thickness: float
    li_layers: tuple[str, ...]
