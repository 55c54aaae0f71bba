"""Research diagnostics of the features and of finished runs (`crossmodal diagnose ...`).

Each reads what the pipeline made, never trains a model of the pipeline, and may use labels;
each run diagnostic loads its run through `run.FinishedRun`.
"""
