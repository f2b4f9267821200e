"""The cell stack: the one place where the physics meet (mechanics, creep, electrochemistry,
volume change, interface stations, holder and probes).

``settings`` turns a resolved case into the typed settings each solver receives; the solvers
themselves never see the case.
"""
