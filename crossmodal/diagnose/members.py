"""How much of our translator's figure is each member's, and what more members would give.

For diagnosis. Our translator is the combination of several members trained alike from
different seeds (settings.defaults.TRANSLATOR_MEMBERS). On held-out objects one member's
`utterance_acc` swings with its seed far more than on unseen voices (one knife fold: 0.10,
0.56 and 0.78), so a fold's figure is one draw from a wide spread. Per evaluation split this
scores every member alone, and the combination of the first k members for every k and every
way of combining them (models.translators.AVERAGES), each heard by the run's recogniser
exactly as `evaluate` scores the run. `members` may exceed the run's own count where more
members were trained beside it (they live in translator_4/, translator_5/, ...).
"""

from __future__ import annotations

import numpy as np
import torch

from crossmodal.diagnose.run import FinishedRun
from crossmodal.errors import CrossmodalError
from crossmodal.eval.scoring import EVAL_SPLITS, split_inputs
from crossmodal.io import write_json
from crossmodal.models.recognizer import Recognizer
from crossmodal.models.seq2seq import SlotTranslator
from crossmodal.models.translators import AVERAGES, BATCH, member_dir
from crossmodal.models.vae import VAEPair, video_input
from crossmodal.models.weights import WEIGHTS_FILE

MEMBERS_FILE = "members.json"


def _outputs(vae: VAEPair, latents: list[torch.Tensor]) -> dict[str, torch.Tensor]:
    """Each member's log-mel ("member i") and the first k members' by each average
    ("<average> k"), decoding each member's latents once however many outputs use them."""
    own = {id(z): vae.audio.decode(z) for z in latents}

    def decode(z: torch.Tensor) -> torch.Tensor:
        # `latents` stays alive, so a mean's new tensor cannot reuse a member's id
        return own[id(z)] if id(z) in own else vae.audio.decode(z)

    outputs = {f"member {j + 1}": own[id(z)] for j, z in enumerate(latents)}
    for name, average in AVERAGES.items():
        for k in range(1, len(latents) + 1):
            outputs[f"{name} {k}"] = average(decode, latents[:k])
    return outputs


@torch.no_grad()
def verdicts(vae: VAEPair, members: list[SlotTranslator], recognizer: Recognizer, frames: np.ndarray
             ) -> dict[str, np.ndarray]:
    """What the recogniser hears, per item of `frames`, from every output of `_outputs`."""
    heard: dict[str, list[np.ndarray]] = {}
    for i in range(0, len(frames), BATCH):
        mu, _ = vae.video.encode(video_input(torch.from_numpy(frames[i : i + BATCH])))
        for key, logmel in _outputs(vae, [m(mu) for m in members]).items():
            heard.setdefault(key, []).append(recognizer.predict(logmel.numpy()))
    return {k: np.concatenate(v) for k, v in heard.items()}


def member_accuracy(run: FinishedRun, members: int | None = None) -> dict:
    """Per split, each member's utterance_acc and each average's over the first k members."""
    count = members or run.settings.translator_members
    folders = [member_dir(run.folder / "translator", j) for j in range(count)]
    missing = [f.name for f in folders if not (f / WEIGHTS_FILE).is_file()]
    if missing:
        raise CrossmodalError(f"{run.folder} has no trained translator member in "
                              f"{', '.join(missing)}; rerun the run's train or reproduce "
                              f"command with --translator-members {count}")
    models = run.members(count)
    splits = {}
    for split in EVAL_SPLITS:
        if not run.prepared.splits.get(split):
            continue
        frames, _, truth = split_inputs(run.prepared, split)
        heard = verdicts(run.vae, models, run.recognizer, frames)
        acc = {key: round(float(np.mean(h == truth)), 4) for key, h in heard.items()}
        splits[split] = {
            "items": int(len(truth)),
            "member": [acc[f"member {j + 1}"] for j in range(count)],
            "first_k": {name: [acc[f"{name} {k}"] for k in range(1, count + 1)]
                        for name in AVERAGES},
        }
    result = {"run": str(run.folder), "members": count,
              "average": run.settings.translator_average,
              "splits": splits}
    write_json(run.folder / MEMBERS_FILE, result)
    return result
