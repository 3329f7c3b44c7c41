"""First-party helper module shipped in the pkgscan python-layer sample."""
import jwt


def decode_unverified(token):
    return jwt.decode(token, verify=False)
