"""Loads an AuthKey_<KEYID>.p8 with `cryptography` (as PyJWT does) and signs a message with ES256.

Usage: sign_with_p8.py FILE MESSAGE -> prints the 64-byte r||s signature in hex.
"""
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils

with open(sys.argv[1], "rb") as f:
    key = serialization.load_pem_private_key(f.read(), password=None)
assert isinstance(key, ec.EllipticCurvePrivateKey), type(key)
assert key.curve.name == "secp256r1", key.curve.name
der = key.sign(sys.argv[2].encode(), ec.ECDSA(hashes.SHA256()))
r, s = utils.decode_dss_signature(der)
print((r.to_bytes(32, "big") + s.to_bytes(32, "big")).hex())
