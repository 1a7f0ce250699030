"""The flows that chain the stages: the main job (``mgd run``), ``mgd bench`` and ``mgd compare``."""
