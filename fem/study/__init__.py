"""Studies over many runs of a case: parameter sweeps (:mod:`fem.study.sweep`) and their maps
(:mod:`fem.study.maps`), behind ``assb-fem sweep``."""
