"""What a translator trained with MSE can at best say for each sentence, per loss.

For diagnosis only. Trained against many voices with an MSE, a translator's best answer for
a sentence is the voices' mean, taken where the loss is taken. In the audio latent (the
latent loss) that mean need not decode to the mean sound, since the decoder is not linear.
Per sentence of a split, this decodes the mean latent over the split's voices, and the
latent whose decoding is closest to all of them (the log-mel loss's optimum), and asks the
run's judges what each says. Two ceilings stand beside them: the voices' mean log-mel itself,
not decoded (what the decoder would have to produce), and every clip's own latent decoded
(what the audio VAE keeps of one real voice). The recogniser names a sentence; the
transcriber, where the run has one, must write its exact words, so a row it writes worse
than the recogniser hears is where words are slurred. Real audio only; no translator.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from crossmodal.data.vocabulary import SENTENCES
from crossmodal.diagnose.run import FinishedRun
from crossmodal.eval.wer import exact_sentence_rate
from crossmodal.io import write_json
from crossmodal.models.codes import encode_split
from crossmodal.train.targets import TARGET_AUDIO

MEAN_VOICE_FILE = "mean_voice.json"
FIT_STEPS = 150
FIT_LR = 0.02


def logmel_optimum(decode: Callable[[torch.Tensor], torch.Tensor], start: torch.Tensor,
                   logmels: torch.Tensor, steps: int = FIT_STEPS,
                   lr: float = FIT_LR) -> torch.Tensor:
    """The latent sequence (T, D) whose decoding is closest in MSE to every log-mel in
    `logmels` (N, F, B), by gradient descent from `start`. The mean MSE over the N differs
    from the MSE to their mean by a constant, so the mean log-mel stands for all of them."""
    target = logmels.mean(dim=0, keepdim=True)
    z = start[None].clone().requires_grad_(True)
    opt = torch.optim.Adam([z], lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        loss = (decode(z) - target).pow(2).mean()
        loss.backward()
        opt.step()
    return z.detach()[0]


#: Per-sentence rows (one log-mel per sentence said in the split) and the clip-level row.
SENTENCE_ROWS = ("mean_logmel", "mean_latent", "logmel_optimum")
CLIP_ROW = "reconstruction"


def mean_voice(run: FinishedRun, split: str = "train") -> dict:
    """Per sentence of `split`: what its mean log-mel, mean latent and log-mel optimum are
    heard (and written) as; and the share of its clips' own reconstructions heard right."""
    data = run.data(split)
    vae = run.vae
    vae.audio.requires_grad_(False).eval()
    recognizer = run.recognizer
    versions = list(TARGET_AUDIO)  # what the translators are trained against
    codes = torch.from_numpy(encode_split(vae, data,
                                          keys=("audio_canonical_mu",))["audio_canonical_mu"])
    logmels = data.canonical.float()
    ids = run.labels(split)
    said = np.unique(ids)
    means, optima, sounds = [], [], []
    for sentence in said:
        pick = torch.from_numpy(ids == sentence)
        mean = codes[pick][:, versions].mean(dim=(0, 1))
        means.append(mean)
        voices = logmels[pick][:, versions].flatten(0, 1)
        sounds.append(voices.mean(dim=0))
        optima.append(logmel_optimum(vae.audio.decode, mean, voices))
    with torch.no_grad():
        outputs = {"mean_logmel": torch.stack(sounds).numpy(),
                   "mean_latent": vae.audio.decode(torch.stack(means)).numpy(),
                   "logmel_optimum": vae.audio.decode(torch.stack(optima)).numpy(),
                   CLIP_ROW: vae.audio.decode(codes[:, versions].flatten(0, 1)).numpy()}
    truth = {name: said for name in SENTENCE_ROWS} | {CLIP_ROW: np.repeat(ids, len(versions))}
    heard = {name: recognizer.predict(x) for name, x in outputs.items()}
    result = {
        "run": str(run.folder), "split": split, "clips": int(len(ids)),
        "heard_right": {name: float(np.mean(h == truth[name])) for name, h in heard.items()},
        "sentences": {SENTENCES[s]: {name: SENTENCES[heard[name][i]] for name in SENTENCE_ROWS}
                      for i, s in enumerate(said)},
    }
    transcriber = run.transcriber
    if transcriber is not None:
        texts = {name: transcriber.transcribe(x) for name, x in outputs.items()}
        result["written_right"] = {
            name: exact_sentence_rate(transcriber.sentence_ids(t), truth[name])
            for name, t in texts.items()}
        result["written"] = {SENTENCES[s]: {name: texts[name][i] for name in SENTENCE_ROWS}
                             for i, s in enumerate(said)}
    write_json(run.folder / MEAN_VOICE_FILE, result)
    return result
