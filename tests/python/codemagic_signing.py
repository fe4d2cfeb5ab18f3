"""codemagic-cli-tools 0.70.0 against Keyward's code signing (spec F1, F6): `app-store-connect
fetch-signing-files --create` finds the seeded bundle ID, creates a development certificate from a
CSR for its own RSA key, creates a provisioning profile with the seeded device, and saves both;
then the saved profile is opened with OpenSSL (as codemagic itself does) and checked.

codemagic hard-codes https://api.appstoreconnect.apple.com/v1, so nothing of it is changed: as the
docs say, Keyward serves that host over TLS (`keyward tls init`, `serve --tls`); the machine's
"hosts file" is stood in for by resolving Apple's host (port 443) to Keyward's address here, and
the local CA is trusted through REQUESTS_CA_BUNDLE, as a user would set it.

Environment: KEYWARD_TLS_PORT, KEYWARD_CA, KEY_ID, ISSUER, KEY_P8, WORK (a scratch directory)."""
import glob
import os
import socket
import subprocess
import sys

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from checks import check, summary

PORT = int(os.environ["KEYWARD_TLS_PORT"])
WORK = os.environ["WORK"]
real_getaddrinfo = socket.getaddrinfo


def hosts_file(host, port, *args, **kwargs):
    if host == "api.appstoreconnect.apple.com":
        return real_getaddrinfo("127.0.0.1", PORT if str(port) in ("443", "https") else port, *args, **kwargs)
    return real_getaddrinfo(host, port, *args, **kwargs)


socket.getaddrinfo = hosts_file
os.environ["REQUESTS_CA_BUNDLE"] = os.environ["KEYWARD_CA"]

key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
key_path = os.path.join(WORK, "certificate-key.pem")
with open(key_path, "wb") as f:
    f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                              serialization.NoEncryption()))
profiles = os.path.join(WORK, "profiles")
certificates = os.path.join(WORK, "certificates")


def fetch(*extra):
    argv = ["app-store-connect", "fetch-signing-files", "com.acme.fizz", "--platform", "IOS",
            "--type", "IOS_APP_DEVELOPMENT", "--certificate-key", f"@file:{key_path}",
            "--issuer-id", os.environ["ISSUER"], "--key-id", os.environ["KEY_ID"],
            "--private-key", f"@file:{os.environ['KEY_P8']}", "--profiles-dir", profiles,
            "--certificates-dir", certificates, *extra]
    sys.argv = argv
    from codemagic.tools import AppStoreConnect
    try:
        AppStoreConnect.invoke_cli()
    except SystemExit as e:
        return e.code
    return 0


status = fetch("--create")
check(status == 0, f"fetch-signing-files --create exits {status}")
saved = glob.glob(os.path.join(profiles, "*.mobileprovision"))
check(len(saved) == 1, f"one profile saved: {saved}")
p12 = glob.glob(os.path.join(certificates, "*.p12"))
check(len(p12) == 1, f"the certificate saved with its key: {p12}")
if saved:
    opened = subprocess.run(["openssl", "smime", "-inform", "der", "-verify", "-noverify", "-in", saved[0]],
                            capture_output=True)
    check(opened.returncode == 0, f"openssl opens the profile: {opened.stderr!r}")
    plist = opened.stdout.decode()
    check("<string>00008030-001A2C3E0E88802E</string>" in plist, "the seeded device is provisioned")
    check(".com.acme.fizz</string>" in plist, "the bundle ID's application identifier")
    check("<key>DeveloperCertificates</key>" in plist, "the certificate is carried")
    public = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    from cryptography import x509
    import base64
    import re
    ders = [base64.b64decode(d) for d in re.findall(r"<data>([^<]+)</data>", plist)]
    keys = [x509.load_der_x509_certificate(d).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) for d in ders]
    check(public in keys, "the profile's certificate is for codemagic's own key")

# A second run finds what the first made: no new certificate or profile.
status = fetch()
check(status == 0, f"fetch-signing-files without --create finds them: exit {status}")
print(summary("codemagic fetch-signing-files"))
