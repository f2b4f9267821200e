"""assb-fem: electro-chemo-mechanics of all-solid-state battery cell stacks on FEniCSx.

Folders name the physics: ``case`` (input, units), ``protocol`` (cycling steps), ``geometry``
(gmsh stacks and patches), ``mechanics`` (elasticity, holder, creep), ``output`` (files).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("assb-fem")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+source"
