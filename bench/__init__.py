"""The benchmark of s3mpu against its peers (``python -m bench``; see README.md). Not run in CI."""
