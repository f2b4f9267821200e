"""Contact mechanics and current constriction at a rough interface (the micro scale).

Verified building blocks and the interface-patch model:

* :mod:`fem.contact.surfaces`: rigid counter-surfaces as height functions (sinusoid, height map,
  flat).
* :mod:`fem.contact.rigid_contact`: frictionless unilateral contact of a deformable body with a
  rigid surface; penalty + augmented-Lagrangian (Uzawa) multiplier at the nodal quadrature points
  of the contact face; contact fraction, pressure profile, mean gap, void, penetration, force.
* :mod:`fem.contact.elastic_block`: linear elastic block (plane strain or 3D) on a rigid surface
  under a uniform top pressure, roller (mirror-plane) sides.
* :mod:`fem.contact.creep_contact`: the same with Norton creep (fem.mechanics.creep), time
  stepping of creep-driven contact growth, and the creep-indentation exponents.
* :mod:`fem.contact.westergaard`: Westergaard's closed-form periodic contact solution.
* :mod:`fem.contact.spreading`: spreading (constriction) resistance of one spot and of a spot
  array, FE (axisymmetric) and closed forms (docs/references.md#derived-constriction).
* :mod:`fem.contact.patch_model`: the interface patch of a patch case (2D or 3D): creeping Li on
  the case's rigid rough, pored separator surface (:mod:`fem.contact.patch_surface`), with the
  interface ASR and local current of the partial contact (:mod:`fem.contact.patch_ionic`); the
  protocol loop that drives it is :mod:`fem.run.patch_run`.
* :mod:`fem.contact.meshes`: graded gmsh meshes for these problems;
  :mod:`fem.contact.newton`: the SNES set-up they share.

Verification: tests/test_contact_westergaard.py, tests/test_contact_spreading.py,
tests/test_contact_creep_asperity.py, tests/test_patch_run.py.
"""
