"""Film and archive pipeline: frame sequences, frame analysis, decision checks, seals, lossless archive.

Submodules
----------
sequence   frame numbering, sequence grouping, gaps
dpx        DPX header parsing, pixel packing layouts, a deterministic DPX writer
analysis   per-frame measures (bit depth used, dynamic range, banding risk, colour, texture, grain)
lossless   bit-exact archive / restore of one frame (``.qpl`` container, :mod:`container`)
testset    the deterministic DPX/TIFF film test set made from the shared EXRs

The heavy submodules are imported on demand; importing :mod:`qualipress.film` is cheap.
"""
