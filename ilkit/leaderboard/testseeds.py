"""The leaderboard's seed split: secret test seeds, or the public validation split without one.

A board run by someone who holds a secret (``--test-secret-file FILE`` or ``ILKIT_TEST_SECRET``)
scores every entry on *test* seeds ``HMAC-SHA256(secret, task id, index)`` mapped into
``[2**31 + 2**30, 2**32)``: disjoint from training seeds (below ``2**31``) and from validation
seeds (``2**31 + i``, ``i < 2**30``), the same for every entry, and unknowable without the
secret, so nobody can tune on them. The package holds no test seed and no secret; outputs name
the split and a :func:`fingerprint` of the secret (a domain-separated hash, not the key), and
cells on the test split store seed *indices*, never seeds.

Without a secret the board runs on the public validation split and every report says so.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import os
from pathlib import Path

from ilkit.envs.seeds import VALIDATION_BASE, VALIDATION_SIZE
from ilkit.errors import IlkitError

SECRET_ENV = "ILKIT_TEST_SECRET"
TEST_BASE = VALIDATION_BASE + VALIDATION_SIZE  # 2**31 + 2**30
TEST_SIZE = 2**32 - TEST_BASE
MIN_SECRET_BYTES = 16


class SecretError(IlkitError):
    """A test secret that cannot be used (missing file, too short)."""


@dataclasses.dataclass(frozen=True)
class SeedSplit:
    """Where a board's episodes come from. ``repr`` never shows the secret."""

    name: str
    """``"test"`` or ``"validation"``."""
    fingerprint: str | None = None
    """First 8 hex digits of a domain-separated SHA-256 of the secret (test split only)."""
    _secret: bytes | None = dataclasses.field(default=None, repr=False, compare=False)

    @property
    def description(self) -> str:
        if self.name == "test":
            return f"secret test split (secret fingerprint {self.fingerprint})"
        return "public validation split (no test secret given: scores are not test results)"

    def seeds(self, env_id: str, seed_index: int, episodes: int) -> list[int]:
        """Episode seeds of cell ``seed_index`` of ``env_id``: disjoint across cells."""
        indices = range(seed_index * episodes, (seed_index + 1) * episodes)
        if self._secret is None:
            return [VALIDATION_BASE + i for i in indices]
        return [test_seed(self._secret, env_id, i) for i in indices]

    def to_dict(self) -> dict[str, str | None]:
        return {"name": self.name, "fingerprint": self.fingerprint}


def test_seed(secret: bytes, env_id: str, index: int) -> int:
    """Test seed ``index`` of ``env_id``: HMAC-SHA256(secret, task id, index) in the test range."""
    message = f"ilkit-test-seed\0{env_id}\0{index}".encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return TEST_BASE + int.from_bytes(digest[:8], "big") % TEST_SIZE


test_seed.__test__ = False  # a function named test_*, not a pytest test


def fingerprint(secret: bytes) -> str:
    """A short public name of the secret: it identifies the split, and reveals nothing of it."""
    return hashlib.sha256(b"ilkit-test-secret-fingerprint\0" + secret).hexdigest()[:8]


def seed_split(secret: bytes | None) -> SeedSplit:
    if secret is None:
        return SeedSplit("validation")
    secret = secret.strip()
    if len(secret) < MIN_SECRET_BYTES:
        raise SecretError(
            f"the test secret is shorter than {MIN_SECRET_BYTES} bytes: use a long random one, "
            "e.g. `python -c 'import secrets; print(secrets.token_hex(32))' > secret.txt`"
        )
    return SeedSplit("test", fingerprint(secret), secret)


def read_secret(secret_file: Path | None = None) -> bytes | None:
    """The test secret from ``secret_file``, else from ``$ILKIT_TEST_SECRET``, else None."""
    if secret_file is not None:
        try:
            return Path(secret_file).read_bytes()
        except OSError as err:
            raise SecretError(f"cannot read the test secret file: {err.strerror}") from None
    value = os.environ.get(SECRET_ENV)
    return value.encode() if value else None
