"""Stack mechanics: kinematics, elasticity, the holder and the rigid-platen problem."""
