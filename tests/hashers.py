"""A password hasher that counts its work, to show which requests hash a password at all."""

from django.contrib.auth.hashers import MD5PasswordHasher


class CountingHasher(MD5PasswordHasher):
    """Every hash goes through encode(): checking a password (verify) and the decoy hash Django
    computes for an unknown user name alike."""

    algorithm = "counting_md5"
    calls = 0

    def encode(self, password, salt):
        type(self).calls += 1
        return super().encode(password, salt)
