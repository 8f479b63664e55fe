"""policybot: answers questions about a government policy with quoted passages and lead departments."""

__version__ = "0.1.0"
