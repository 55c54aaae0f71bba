"""Figures published by the earlier work and by the seed, with what each one measures.

They are shown next to ours, never mixed into our table: each was measured in its own space.
"""

from __future__ import annotations

PUBLISHED: tuple[dict[str, str], ...] = (
    {"source": "earlier work (De Ponte 2022), C_06", "figure": "test accuracy 0.9890",
     "measures": "per-token accuracy of wav2vec character ids under teacher forcing, on a "
                 "random split over augmented pairs (near-copies in train and test)"},
    {"source": "earlier work", "figure": "'cosine distance' 36.65 train / 50.12 test",
     "measures": "mean Euclidean distance between predicted and target token-id vectors "
                 "(150 ints), 100 samples; not a cosine. Ours: token_distance"},
    {"source": "earlier work", "figure": "object-motion folds 59.59-66.28; 0 of 7,250 right",
     "measures": "the same Euclidean figure on held-out moving clips of one object; no "
                 "prediction said the right object-action pair. Ours: holdout utterance_acc"},
    {"source": "seed", "figure": "cosine distance 0.17 ('97% lower than 50.12')",
     "measures": "1 - cosine in a learned 16-d audio latent whose video side also read the "
                 "audio; not comparable with 50.12. Ours: latent_cosine_distance"},
    {"source": "seed", "figure": "<= 8.88 on every held-out object",
     "measures": "unspecified distance on object-motion folds; no content check"},
)
