"""Secrets an e-mail must carry but the database must not hold in clear (an invitation's
one-time link): sealed with a key derived from the site's SECRET_KEY before the row is written,
opened only when the e-mail is rendered for sending.

Like Django's password-reset link, which is derived from SECRET_KEY when the e-mail is sent and
stored nowhere, a copy of the database alone does not give the link; the admin's previews and
the API never open the seal.
"""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

# A row's `payload["data"]["sealed"]` holds {key: sealed text}; `emails.render_row` puts the
# opened values at `data.<key>`.
SEALED_KEY = "sealed"


def _fernet() -> Fernet:
    digest = hashlib.sha256(b"notifications.sealing:" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def unseal(value: str) -> str:
    """The clear text, or "" when the seal does not open (another SECRET_KEY, a damaged row)."""
    try:
        return _fernet().decrypt(value.encode()).decode()
    except (InvalidToken, ValueError, TypeError):
        return ""
