"""Every default of a run, in one module that does not import torch.

RunSettings, the model configs (models.vae_config, models.seq2seq), the trainers and the
CLI's help all read their defaults here, so none can drift from another. Each line names the
result that chose it; the figures live in the docs, not here.
"""

# --- the VAE pair ----------------------------------------------------------------------------
SCHEDULE = "linear"  # the seed's ramp-up; docs/results.md, "The nine beta schedules"
#: Parameters of schedules for this loss scale; docs/representation.md, "Beta schedules".
SCHEDULE_PARAMS: dict[str, dict[str, float]] = {"capacity": {"gamma": 10.0, "c_max": 30.0}}
VAE_STEPS = 2000  # docs/history.md, "The where view"
VAE_LR = 1e-3  # docs/history.md, "The demo's budget"; the demo's: docs/speed.md
#: Video steps of each clip per VAE batch, its first and last among them.
VAE_FRAMES = 5  # docs/history.md, "The demo's budget"; the demo's: docs/speed.md
ALIGN_WEIGHT = 2000.0  # the contrastive term's weight; docs/history.md, "What moved grounding"
VAE_VIDEO_CHANNELS = 32  # docs/translation.md, "Widths"
VAE_AUDIO_CHANNELS = 128  # docs/translation.md, "Widths"
VIDEO_STREAMS = 2  # docs/history.md, "Two streams at full scale: grounding and pairs"
WHERE_VIEW = "turned_pose"  # docs/history.md, "The where view"

# --- our translator and the no-VAE ablation --------------------------------------------------
TRANSLATOR_STEPS = 2000  # docs/results.md, "Translation: every protocol, every model"
TRANSLATOR_HIDDEN = 128  # docs/translation.md, "Widths"
TRANSLATOR_MEMBERS = 5  # docs/history.md, "How many members"
TRANSLATOR_READER = "phase"  # docs/history.md, "The latent loss alone: the phase reader"
TRANSLATOR_LOGMEL_WEIGHT = 0.1  # docs/history.md, "Where the loss is taken"
TRANSLATOR_AVERAGE = "logmel"  # docs/history.md, "Averaging the members' sounds"

# --- the baseline and the recogniser ---------------------------------------------------------
BASELINE_STEPS = 400  # docs/results.md, "Translation: every protocol, every model"
BASELINE_HIDDEN = 128  # docs/translation.md, "Baseline's clip vector"
RECOGNIZER_STEPS = 2000  # docs/translation.md, "The recogniser"
RECOGNIZER_SPEECH_TAKES = 2  # docs/speed.md, "The recogniser's speech"
TRANSCRIBER_STEPS = 600  # docs/speed.md, "The transcriber"
TRANSCRIBER_LR = 5e-3  # docs/speed.md, "The transcriber"

# --- arithmetic ------------------------------------------------------------------------------
# the VAE pair's and the translators' learning rate over a run (train.lr_decay)
LR_DECAY = "constant"  # a cosine decay lost accuracy; docs/speed.md, "The learning rate"
PRECISION = "fp32"  # every figure was measured in it; docs/speed.md, "How a run is carried out"

