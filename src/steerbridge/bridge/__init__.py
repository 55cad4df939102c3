"""Bridges: corpus windows, paired-state collection, moments, fits, anchors, transfer of vectors."""
