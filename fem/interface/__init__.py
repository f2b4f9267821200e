"""The Li | separator interface at the cell scale: contact fraction, voids, extrusion (reduced
model, :mod:`~fem.interface.contact_state`), their evaluation on the mesh's interfaces
(:mod:`~fem.interface.stations`) and the short-circuit criterion (:mod:`~fem.interface.short_circuit`).
The micro-scale contact of a rough patch is :mod:`fem.contact`."""
