"""Signs an App Store Connect token with PyJWT from an AuthKey_<KEYID>.p8, in the shapes popular
clients send.

Usage: pyjwt_token.py --p8 FILE --kid KEYID [--iss ISSUER_ID] [--shape SHAPE]
Shapes: with_iat (exp = iat + 1200), without_iat (exp = now + 1200), no_typ, fastlane (exp = now + 500).
Without --iss the token is an individual key's: sub "user" and no iss.
"""
import argparse
import time

import jwt

parser = argparse.ArgumentParser()
parser.add_argument("--p8", required=True)
parser.add_argument("--kid", required=True)
parser.add_argument("--iss")
parser.add_argument("--shape", default="with_iat")
args = parser.parse_args()

with open(args.p8) as f:
    private_key = f.read()
now = int(time.time())
claims = {"aud": "appstoreconnect-v1"}
if args.iss:
    claims["iss"] = args.iss
else:
    claims["sub"] = "user"
if args.shape == "without_iat":
    claims["exp"] = now + 1200
elif args.shape == "fastlane":
    claims.update(iat=now, exp=now + 500)
else:
    claims.update(iat=now, exp=now + 1200)
headers = {"kid": args.kid}
if args.shape == "no_typ":
    headers["typ"] = None
token = jwt.encode(claims, private_key, algorithm="ES256", headers=headers)
header = jwt.get_unverified_header(token)
assert (args.shape == "no_typ") == ("typ" not in header), header
print(token)
