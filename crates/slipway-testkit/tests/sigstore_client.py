#!/usr/bin/env python3
"""A small Sigstore signer for tests/sigstore.rs: drives the testkit's fake Fulcio and fake Rekor
the way a PEP 740 publisher does, with `cryptography` (an implementation independent of the
doubles' Rust), so that what they answer is checked by pypi-attestations end to end.

Not slipway's client. For every DIST: one ephemeral P-256 key certified by Fulcio for the token
(proof of possession: the key's signature over the token's `sub`), an in-toto statement (the
dist's name and sha256, PyPI's publish predicate) signed as DSSE, logged in Rekor as a `dsse`
0.0.1 entry, and `<DIST>.publish.attestation` written from the certificate, the envelope and
the log's answer (converted to a bundle's TransparencyLogEntry).

Usage: python sigstore_client.py --fulcio URL --rekor URL --token JWT [--token-in body|header]
           [--refetch] DIST...
--refetch: after logging every dist, fetch each entry again by its log index (its proof then
is against the grown tree) and write the attestation from that answer.
Prints `logged <name> <logIndex> <inclusionProof.logIndex> <treeSize>` per dist.
"""

import argparse
import base64
import hashlib
import json
import sys
import urllib.request
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

PREDICATE = "https://docs.pypi.org/attestations/publish/v1"
PAYLOAD_TYPE = "application/vnd.in-toto+json"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def call(method: str, url: str, body=None, headers=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def certificate(fulcio: str, token: str, token_in: str, key) -> x509.Certificate:
    payload = token.split(".")[1]
    sub = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"]
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    body = {
        "publicKeyRequest": {
            "publicKey": {"algorithm": "ECDSA", "content": pem.decode()},
            "proofOfPossession": b64(key.sign(sub.encode(), ec.ECDSA(hashes.SHA256()))),
        }
    }
    headers = {}
    if token_in == "body":
        body["credentials"] = {"oidcIdentityToken": token}
    else:
        headers["Authorization"] = f"Bearer {token}"
    answer = call("POST", f"{fulcio}/api/v2/signingCert", body, headers)
    chain = answer["signedCertificateEmbeddedSct"]["chain"]["certificates"]
    assert len(chain) >= 2, chain
    return x509.load_pem_x509_certificate(chain[0].encode())


def tlog_entry(answer: dict) -> dict:
    """The log's answer as a bundle's TransparencyLogEntry (protobuf JSON)."""
    ((_uuid, entry),) = answer.items()
    body = json.loads(base64.b64decode(entry["body"]))
    proof = entry["verification"]["inclusionProof"]
    return {
        "logIndex": str(entry["logIndex"]),
        "logId": {"keyId": b64(bytes.fromhex(entry["logID"]))},
        "kindVersion": {"kind": body["kind"], "version": body["apiVersion"]},
        "integratedTime": str(entry["integratedTime"]),
        "inclusionPromise": {"signedEntryTimestamp": entry["verification"]["signedEntryTimestamp"]},
        "inclusionProof": {
            "logIndex": str(proof["logIndex"]),
            "rootHash": b64(bytes.fromhex(proof["rootHash"])),
            "treeSize": str(proof["treeSize"]),
            "hashes": [b64(bytes.fromhex(h)) for h in proof["hashes"]],
            "checkpoint": {"envelope": proof["checkpoint"]},
        },
        "canonicalizedBody": entry["body"],
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fulcio", required=True)
    parser.add_argument("--rekor", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--token-in", choices=["body", "header"], default="body")
    parser.add_argument("--refetch", action="store_true")
    parser.add_argument("dists", nargs="+", type=Path)
    args = parser.parse_args()

    key = ec.generate_private_key(ec.SECP256R1())
    cert = certificate(args.fulcio, args.token, args.token_in, key)
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    logged = []
    for dist in args.dists:
        statement = json.dumps(
            {
                "_type": "https://in-toto.io/Statement/v1",
                "subject": [
                    {"name": dist.name, "digest": {"sha256": hashlib.sha256(dist.read_bytes()).hexdigest()}}
                ],
                "predicateType": PREDICATE,
                "predicate": None,
            },
            separators=(",", ":"),
        ).encode()
        pae = b"DSSEv1 %d %s %d %s" % (len(PAYLOAD_TYPE), PAYLOAD_TYPE.encode(), len(statement), statement)
        signature = key.sign(pae, ec.ECDSA(hashes.SHA256()))
        envelope = json.dumps(
            {"payload": b64(statement), "payloadType": PAYLOAD_TYPE, "signatures": [{"sig": b64(signature)}]},
            separators=(",", ":"),
        )
        proposal = {
            "apiVersion": "0.0.1",
            "kind": "dsse",
            "spec": {"proposedContent": {"envelope": envelope, "verifiers": [b64(cert_pem)]}},
        }
        answer = call("POST", f"{args.rekor}/api/v1/log/entries", proposal)
        logged.append((dist, statement, signature, answer))
    for dist, statement, signature, answer in logged:
        if args.refetch:
            ((_uuid, entry),) = answer.items()
            answer = call("GET", f"{args.rekor}/api/v1/log/entries?logIndex={entry['logIndex']}")
        entry = tlog_entry(answer)
        attestation = {
            "version": 1,
            "verification_material": {
                "certificate": b64(cert.public_bytes(serialization.Encoding.DER)),
                "transparency_entries": [entry],
            },
            "envelope": {"statement": b64(statement), "signature": b64(signature)},
        }
        dist.with_name(f"{dist.name}.publish.attestation").write_text(json.dumps(attestation))
        proof = entry["inclusionProof"]
        print(f"logged {dist.name} {entry['logIndex']} {proof['logIndex']} {proof['treeSize']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
