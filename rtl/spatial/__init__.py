"""The spatial datapath style: every parameter has its own sign lane, correlator and update unit."""
