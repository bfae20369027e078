"""The trainer itself (``make train-detector``) runs end to end, on a quarter of the corpus,
and writes a model the detector reads: a change to the detector that the trainer cannot
follow fails here, not at the next retraining."""

from __future__ import annotations

from pathlib import Path

import pytest

from groupguard.contacts import detect as detect_module
from groupguard.contacts.detector import model as detector_model

pytest.importorskip("sklearn")  # a dev tool: make install brings it

pytestmark = pytest.mark.slow


def test_the_trainer_writes_a_model_the_detector_reads(tmp_path: Path) -> None:
    from tools.train_detector import train

    out = tmp_path / "model.bin"
    meta = train(out, quiet=True, refit=False, every=4)
    model = detector_model.read(out.read_bytes())
    assert model.version == meta["version"] and model.version.startswith("gg-detector-")
    assert {"request", "explicit", "promise"} <= set(model.thresholds)
    # A request, then the facilitator's agreeing reply: the reading that once stopped training.
    text = "Member: please don't tell the group about my job. Me: ok, will do."
    evidence = detect_module._Reading(text, "en", model).evidence()
    assert evidence.p_request >= 0.0
