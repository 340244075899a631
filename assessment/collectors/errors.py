"""Errors the collectors raise on purpose; the CLI shows each as one line."""

from __future__ import annotations

from assessment.errors import AssessmentError


class CollectorError(AssessmentError):
    """Base class for every error a collector raises on purpose."""


class ManifestError(CollectorError):
    """A Kubernetes manifest is unreadable or not a Kubernetes object.

    The message names the file, the document's index in it (and the path
    inside a ``List``), the field and the bad value.
    """


class ClusterError(CollectorError):
    """The Kubernetes cluster cannot be reached, or the kubeconfig is unusable."""


class AwsSessionError(CollectorError):
    """No usable AWS session: missing profile, credentials or endpoint."""


class OutputError(CollectorError):
    """The evidence file cannot be written."""
