"""``assb-fem fit``: least-squares fits of case and material-card parameters to measured data,
over full runs (:mod:`fem.study.fit.driver`)."""
