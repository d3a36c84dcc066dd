"""The DMRadio-m3 coaxial pickup: coax line, series RLC, tuning, readout, scan rate and live time."""

from emboost.pickup.coax import *  # noqa: F403  (the former module ``emboost.pickup``)
