"""Pure rules of the buildings' programmes: the measurement periods and results of a retrofit's
measured savings (:mod:`carbonpeak.domain.buildings.measurement`)."""
