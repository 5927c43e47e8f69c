"""Signals the search app sends, so apps that depend on it can follow its changes."""

from django.dispatch import Signal

# A stored document got a new external id (old_id, new_id): e.g. a file ingested before ids were
# unique per path. Whatever refers to documents by external id (judgments) follows it.
document_renamed = Signal()
