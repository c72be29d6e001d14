#!/usr/bin/env python3
"""Verifies PEP 740 publish attestations the way PyPI does, against a trusted root of our own.

For each DIST, loads `<DIST>.publish.attestation` and runs pypi-attestations'
`Attestation.verify` with a GitHub trusted publisher (`--repository`, `--workflow`): the
certificate chains to the trusted root's CA and carries one valid SCT from its CT log; the
transparency-log entry's inclusion proof, checkpoint and signed entry timestamp verify with its
log key; the DSSE signature verifies with the certificate's key; the certificate names GitHub's
issuer, the repository and the workflow (Build Config URI at the certificate's ref or digest);
the statement's one subject is DIST's file name and sha256, with a known predicate type.

pypi-attestations has no parameter for a trusted root (it builds `Verifier.production()`), so
that constructor is patched to return a verifier of `--trusted-root` (a Sigstore TrustedRoot,
v0.1, e.g. what slipway-testkit's `Sigstore::write_trusted_root` writes). `--environment` is
passed to the publisher as PyPI does, but neither pypi-attestations nor PyPI checks it.

Usage: .venv/bin/python scripts/verify-attestations.py --trusted-root FILE --repository OWNER/NAME
           --workflow FILE.yml [--environment NAME] DIST...
(the venv has pypi-attestations: scripts/setup-tools)
Prints `ok <name> <predicateType>` or `FAILED <name>: <reason>` per dist; exits 1 if any failed,
2 if the trusted root cannot be read.
"""

import argparse
import sys
from pathlib import Path
from unittest import mock

from pypi_attestations import Attestation, AttestationError, Distribution, GitHubPublisher
from sigstore.models import TrustedRoot
from sigstore.verify import Verifier


def verify(dist: Path, verifier: Verifier, publisher: GitHubPublisher) -> str:
    """The predicate type of DIST's attestation; raises with the reason it does not verify."""
    path = dist.with_name(f"{dist.name}.publish.attestation")
    if not path.is_file():
        raise AttestationError(f"no attestation file {path.name}")
    attestation = Attestation.model_validate_json(path.read_bytes())
    with mock.patch.object(Verifier, "production", return_value=verifier):
        predicate_type, _ = attestation.verify(publisher, Distribution.from_file(dist), offline=True)
    return predicate_type


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trusted-root", required=True, type=Path)
    parser.add_argument("--repository", required=True, help="owner/name")
    parser.add_argument("--workflow", required=True, help="the workflow's file name, e.g. release.yml")
    parser.add_argument("--environment", default=None, help="not checked (as on PyPI)")
    parser.add_argument("dists", nargs="+", type=Path, metavar="DIST")
    args = parser.parse_args()

    try:
        verifier = Verifier(trusted_root=TrustedRoot.from_file(str(args.trusted_root)))
    except Exception as err:  # noqa: BLE001 - any reason the root cannot be used
        print(f"cannot use trusted root {args.trusted_root}: {err}", file=sys.stderr)
        return 2
    publisher = GitHubPublisher(
        repository=args.repository, workflow=args.workflow, environment=args.environment
    )
    failed = 0
    for dist in args.dists:
        try:
            predicate_type = verify(dist, verifier, publisher)
        except Exception as err:  # noqa: BLE001 - every reason is reported, one line a dist
            failed += 1
            reason = " ".join(str(err).split()) or type(err).__name__
            print(f"FAILED {dist.name}: {reason}")
        else:
            print(f"ok {dist.name} {predicate_type}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
