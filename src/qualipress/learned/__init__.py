"""Learned image codecs (CompressAI models) and the rate–distortion benchmark harness.

- :mod:`qualipress.learned.codec` — ``learned:<arch>`` codecs writing ``.qlc`` files (:mod:`.qlc`).
- :mod:`qualipress.learned.weights` — where weights come from (user file, CompressAI cache, shipped model).
- :mod:`qualipress.learned.train` — ``train-codec``.
- :mod:`qualipress.learned.rd` — ``bench rd`` / ``bench plot``: RD sweeps, BD-rate, coding for machines.

Importing this package does not import torch; that happens on first use.
"""
