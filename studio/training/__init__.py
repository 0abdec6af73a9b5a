"""Qt-free training: the trainer loop, metrics, checkpoints, runs, capture hooks and datasets.

Import the parts from their modules (`studio.training.trainer.Trainer`, `studio.training.runs.list_runs`,
`studio.training.datasets.open_dataset`); this package imports nothing itself, so loading one part never
pulls in the others.
"""
