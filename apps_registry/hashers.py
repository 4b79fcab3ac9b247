"""A fast keyed hash for long random credentials (client secrets, invitation tokens), never for
user passwords.

Client secrets are 128 random characters, so a slow, salted password hash adds no protection but
costs ~0.3 s of CPU per token request: a denial-of-service lever on the token endpoint. HMAC-SHA256
under a server-side key (CREDENTIAL_HASH_KEY) keeps a stolen database useless without the key and
verifies in microseconds (ADR 0003). DOT hashes with it through CLIENT_SECRET_HASHER. Invitations
store invitation_token_hash(token): the services write it and the selectors look it up.
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.contrib.auth.hashers import BasePasswordHasher, mask_hash
from django.utils.crypto import salted_hmac

KEY_SALT = "apps_registry.hashers.CredentialHasher"
# The salt's value is part of every stored invitation hash: changing it voids pending invitations.
INVITATION_TOKEN_SALT = "apps_registry.services.partners.invitation"  # noqa: S105 - a salt name


def invitation_token_hash(raw_token: str) -> str:
    """The keyed hash stored for an invitation token; the token itself is only e-mailed."""
    return salted_hmac(
        INVITATION_TOKEN_SALT, raw_token, secret=settings.CREDENTIAL_HASH_KEY, algorithm="sha256"
    ).hexdigest()


class CredentialHasher(BasePasswordHasher):
    algorithm = "hmac_sha256"
    salt_entropy = 64

    def encode(self, password: str, salt: str) -> str:
        self._check_encode_args(password, salt)
        digest = salted_hmac(
            KEY_SALT, f"{salt}${password}", secret=settings.CREDENTIAL_HASH_KEY, algorithm="sha256"
        ).hexdigest()
        return f"{self.algorithm}${salt}${digest}"

    def decode(self, encoded: str) -> dict[str, str]:
        algorithm, salt, digest = encoded.split("$", 2)
        assert algorithm == self.algorithm  # noqa: S101 - Django's own hashers guard the same way
        return {"algorithm": algorithm, "salt": salt, "hash": digest}

    def verify(self, password: str, encoded: str) -> bool:
        decoded = self.decode(encoded)
        return hmac.compare_digest(encoded, self.encode(password, decoded["salt"]))

    def safe_summary(self, encoded: str) -> dict[str, str]:
        decoded = self.decode(encoded)
        return {
            "algorithm": decoded["algorithm"],
            "salt": mask_hash(decoded["salt"], show=2),
            "hash": mask_hash(decoded["hash"]),
        }

    def harden_runtime(self, password: str, encoded: str) -> None:
        """Nothing to equalise: every verification costs the same single HMAC."""
