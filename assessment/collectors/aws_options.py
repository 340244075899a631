"""What the AWS collector looks at, and the thresholds it judges by."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_REGION = "us-east-1"
DEFAULT_ADMIN_PORTS = (22, 3389)
CLASSIFICATION_TAG = "data-classification"


@dataclass(frozen=True)
class AwsOptions:
    """Settings of one AWS collector run."""

    regions: tuple[str, ...] = (DEFAULT_REGION,)
    """Regions to read; IAM, S3's bucket list and CloudTrail's trails are read
    once, through the first."""
    access_key_max_age_days: int = 90
    """Active access keys older than this fail ``access-key-age``."""
    unused_after_days: int = 90
    """Console passwords unused for longer than this fail
    ``console-user-unused``."""
    classification_tag: str = CLASSIFICATION_TAG
    """The tag key that holds a data store's classification."""
    admin_ports: tuple[int, ...] = DEFAULT_ADMIN_PORTS
    """Ports that must never be open to the whole internet."""

    @property
    def home_region(self) -> str:
        """The region global services (IAM, S3's bucket list) are called in."""
        return self.regions[0]
