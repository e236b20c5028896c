"""Users' passwords: the length rules and the bcrypt hash stored in their place, apart from the `user` table code.

`UserError` is defined here, the module the user operations build on, because a refused password is one of them.
"""

import bcrypt

BCRYPT_ROUNDS = 12
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_BYTES = 72  # bcrypt reads no further; bcrypt 5 raises on longer input, older versions truncate


class UserError(ValueError):
    """A request that cannot be honoured; the message is meant for the person at the terminal."""


def check_password(password: str) -> bytes:
    """The password in UTF-8, after checking it has 8 characters to 72 bytes; UserError says which limit it broke."""
    encoded = password.encode("utf-8")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters ({len(password)} given)")
    if len(encoded) > MAX_PASSWORD_BYTES:
        raise UserError(f"the password must be at most {MAX_PASSWORD_BYTES} bytes in UTF-8 ({len(encoded)} given)")
    return encoded


def hash_password(password: str) -> str:
    """The bcrypt hash (cost `BCRYPT_ROUNDS`) of a password of 8 characters to 72 UTF-8 bytes."""
    return bcrypt.hashpw(check_password(password), bcrypt.gensalt(rounds=BCRYPT_ROUNDS)).decode("ascii")


def verify_password(password: str, hashed: str) -> bool:
    """Whether `password` matches the bcrypt hash; False for a malformed hash or an over-long password."""
    encoded = password.encode("utf-8")
    if len(encoded) > MAX_PASSWORD_BYTES:  # never hashed, so never valid (bcrypt 4 would compare a truncated copy)
        return False
    try:
        return bcrypt.checkpw(encoded, hashed.encode("ascii"))
    except ValueError:
        return False
