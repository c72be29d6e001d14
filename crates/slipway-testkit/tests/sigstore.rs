//! The Sigstore doubles (`doubles::sigstore`), driven by a small independent signer
//! (`sigstore_client.py`, on `cryptography`) and checked by PyPI's own verification
//! (`scripts/verify-attestations.py`, pypi-attestations against the doubles' trusted root); the
//! refusals and outages driven over HTTP from here.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::client;
use p256::ecdsa::SigningKey;
use p256::ecdsa::signature::Signer as _;
use p256::pkcs8::{EncodePublicKey as _, LineEnding};
use serde_json::{Value, json};
use slipway_testkit::doubles::oidc::{self, GitHubOidc, TokenIssuer};
use slipway_testkit::doubles::sigstore::{ACTIVE_SHARD_START, Outage, Sigstore};
use slipway_testkit::real;

const REPOSITORY: &str = "octo/demo";
const WORKFLOW: &str = "release.yml";
const TAG: &str = "refs/tags/v1.0.0";
const SHA: &str = "0123456789abcdef0123456789abcdef01234567";
const PREDICATE: &str = "https://docs.pypi.org/attestations/publish/v1";
const WHEEL: &str = "demo-1.0.0-py3-none-any.whl";
const SDIST: &str = "demo-1.0.0.tar.gz";

/// The release job's claims.
fn claims() -> Value {
    oidc::github_claims(REPOSITORY, WORKFLOW, TAG, SHA)
}

/// The job's token for `audience`, as its token endpoint hands it out.
fn token(claims: &Value, audience: &str) -> String {
    TokenIssuer::github("ghs_req", claims, &[audience])
        .jwt_for(audience)
        .unwrap()
        .to_string()
}

/// Writes dists (`name`, some bytes each) into `dir`.
fn dists(dir: &Path, names: &[&str]) -> Vec<PathBuf> {
    names
        .iter()
        .map(|name| {
            let path = dir.join(name);
            std::fs::write(&path, format!("the bytes of {name}")).unwrap();
            path
        })
        .collect()
}

/// Runs `cmd`: whether it succeeded, and its standard output. The command and all it wrote go
/// to the test's output (shown when it fails, or with `--nocapture`).
#[allow(clippy::print_stdout, reason = "a test's captured output")]
fn output(cmd: &mut Command) -> (bool, String) {
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("$ {cmd:?}\n{stdout}{stderr}");
    (out.status.success(), stdout)
}

/// Signs `dists` with the independent client: a certificate from the fake Fulcio, each dist's
/// statement logged in the fake Rekor, `<dist>.publish.attestation` written.
fn sign(sigstore: &Sigstore, token: &str, dists: &[PathBuf], extra: &[&str]) -> String {
    let client = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sigstore_client.py");
    let (ok, stdout) = output(
        Command::new(real::tool("python"))
            .arg(client)
            .args([
                "--fulcio",
                sigstore.fulcio_url(),
                "--rekor",
                sigstore.rekor_url(),
            ])
            .args(["--token", token])
            .args(extra)
            .args(dists),
    );
    assert!(ok, "the client failed");
    stdout
}

/// Runs `scripts/verify-attestations.py` for `repository` and `workflow`: whether it passed,
/// and its lines.
fn verify(
    sigstore: &Sigstore,
    repository: &str,
    workflow: &str,
    dists: &[PathBuf],
) -> (bool, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let root = sigstore.write_trusted_root(dir.path());
    let script = real::workspace_root().join("scripts/verify-attestations.py");
    let (ok, stdout) = output(
        Command::new(real::tool("python"))
            .arg(script)
            .arg("--trusted-root")
            .arg(root)
            .args(["--repository", repository, "--workflow", workflow])
            .args(dists),
    );
    (ok, stdout.lines().map(str::to_string).collect())
}

#[test]
fn attestations_verify_for_their_repository_and_workflow_only() {
    let sigstore = Sigstore::start();
    let dir = tempfile::tempdir().unwrap();
    let dists = dists(dir.path(), &[WHEEL, SDIST]);
    let logged = sign(&sigstore, &token(&claims(), "sigstore"), &dists, &[]);
    let first = ACTIVE_SHARD_START;
    assert_eq!(
        logged.lines().collect::<Vec<_>>(),
        [
            format!("logged {WHEEL} {first} 0 1"),
            format!("logged {SDIST} {} 1 2", first + 1)
        ]
    );

    let (ok, lines) = verify(&sigstore, REPOSITORY, WORKFLOW, &dists);
    assert!(ok);
    assert_eq!(
        lines,
        [
            format!("ok {WHEEL} {PREDICATE}"),
            format!("ok {SDIST} {PREDICATE}")
        ]
    );

    let (ok, lines) = verify(&sigstore, "octo/other", WORKFLOW, &dists);
    assert!(!ok);
    assert_eq!(lines.len(), 2);
    for line in &lines {
        assert!(line.starts_with("FAILED "), "{line}");
        assert!(line.ends_with(": Verification failed: Certificate's OIDCSourceRepositoryURI does not match (got https://github.com/octo/demo, expected https://github.com/octo/other)"), "{line}");
    }

    // One certificate for the run, one entry a dist.
    assert_eq!(sigstore.fulcio_requests().len(), 1);
    let entries = sigstore.entries();
    assert_eq!(entries.len(), 2);
    assert_eq!(
        (entries[1].log_index, entries[1].tree_index),
        (first + 1, 1)
    );
    assert!(entries[0].body.contains(r#""kind":"dsse""#));
}

#[test]
fn a_tampered_dist_or_statement_fails_verification() {
    let sigstore = Sigstore::start();
    let dir = tempfile::tempdir().unwrap();
    let dists = dists(dir.path(), &[WHEEL]);
    sign(
        &sigstore,
        &token(&claims(), "sigstore"),
        &dists,
        &["--token-in", "header"],
    );
    assert!(verify(&sigstore, REPOSITORY, WORKFLOW, &dists).0);

    // Other bytes under the same name.
    let original = std::fs::read(&dists[0]).unwrap();
    std::fs::write(&dists[0], b"other bytes").unwrap();
    let (ok, lines) = verify(&sigstore, REPOSITORY, WORKFLOW, &dists);
    assert!(!ok);
    assert_eq!(
        lines,
        [format!(
            "FAILED {WHEEL}: Verification failed: subject does not match distribution digest"
        )]
    );
    std::fs::write(&dists[0], original).unwrap();

    // The statement changed after signing (another version in the subject's name).
    let path = dir.path().join(format!("{WHEEL}.publish.attestation"));
    let mut attestation: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let statement = STANDARD
        .decode(attestation["envelope"]["statement"].as_str().unwrap())
        .unwrap();
    let tampered = String::from_utf8(statement)
        .unwrap()
        .replace("1.0.0", "1.0.1");
    attestation["envelope"]["statement"] = STANDARD.encode(tampered).into();
    std::fs::write(&path, attestation.to_string()).unwrap();
    let (ok, lines) = verify(&sigstore, REPOSITORY, WORKFLOW, &dists);
    assert!(!ok);
    assert_eq!(
        lines,
        [format!(
            "FAILED {WHEEL}: Verification failed: DSSE: invalid signature"
        )]
    );
}

#[test]
fn a_certificate_for_another_workflow_fails_verification() {
    let sigstore = Sigstore::start();
    sigstore.certify_as(Some(oidc::github_claims(
        REPOSITORY,
        "nightly.yml",
        TAG,
        SHA,
    )));
    let dir = tempfile::tempdir().unwrap();
    let dists = dists(dir.path(), &[WHEEL]);
    sign(&sigstore, &token(&claims(), "sigstore"), &dists, &[]);

    let (ok, lines) = verify(&sigstore, REPOSITORY, WORKFLOW, &dists);
    assert!(!ok);
    assert_eq!(lines.len(), 1);
    assert!(
        lines[0].starts_with(&format!("FAILED {WHEEL}: ")),
        "{}",
        lines[0]
    );
    // pypi-attestations names the extension by its repr (the URI is in its bytes).
    for part in [
        "Verification failed: Certificate's Build Config URI (",
        "nightly.yml@refs/tags/v1.0.0",
        "does not match expected Trusted Publisher (release.yml @ octo/demo)",
    ] {
        assert!(lines[0].contains(part), "{part} in {}", lines[0]);
    }
    // It is a valid attestation of the identity Fulcio certified.
    assert!(verify(&sigstore, REPOSITORY, "nightly.yml", &dists).0);
}

#[test]
fn proofs_fetched_later_verify_against_the_grown_tree() {
    let sigstore = Sigstore::start();
    let dir = tempfile::tempdir().unwrap();
    let names: Vec<String> = (1..=5)
        .map(|i| format!("demo-1.0.{i}-py3-none-any.whl"))
        .collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let dists = dists(dir.path(), &names);
    let logged = sign(
        &sigstore,
        &token(&claims(), "sigstore"),
        &dists,
        &["--refetch"],
    );
    for (i, line) in logged.lines().enumerate() {
        assert!(
            line.ends_with(&format!(" {} {i} 5", ACTIVE_SHARD_START + i as u64)),
            "{line}"
        );
    }
    let (ok, lines) = verify(&sigstore, REPOSITORY, WORKFLOW, &dists);
    assert!(ok);
    assert!(lines.iter().all(|l| l.starts_with("ok ")), "{lines:?}");
}

// ---- refusals and outages, over HTTP -------------------------------------------------------

async fn get_json(url: String) -> Value {
    let resp = client().get(url).send().await.unwrap();
    resp.json().await.unwrap()
}

fn key(seed: u8) -> SigningKey {
    SigningKey::from_slice(&[seed; 32]).unwrap()
}

fn der_signature(key: &SigningKey, message: &[u8]) -> String {
    let signature: p256::ecdsa::DerSignature = key.sign(message);
    STANDARD.encode(signature.as_bytes())
}

/// A `signingCert` request for `key` with a proof over `proven` (the token's `sub`, when
/// honest).
fn cert_request(token: &str, key: &SigningKey, proven: &str) -> Value {
    json!({
        "credentials": { "oidcIdentityToken": token },
        "publicKeyRequest": {
            "publicKey": {
                "algorithm": "ECDSA",
                "content": key.verifying_key().to_public_key_pem(LineEnding::LF).unwrap(),
            },
            "proofOfPossession": der_signature(key, proven.as_bytes()),
        },
    })
}

async fn post(url: String, body: &Value) -> (u16, reqwest::header::HeaderMap, Value) {
    let resp = client().post(url).json(body).send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    (status, headers, resp.json().await.unwrap_or_default())
}

/// A leaf PEM for `key`, from the fake Fulcio.
async fn leaf(sigstore: &Sigstore, key: &SigningKey) -> String {
    let claims = claims();
    let body = cert_request(
        &token(&claims, "sigstore"),
        key,
        claims["sub"].as_str().unwrap(),
    );
    let (status, _, answer) = post(
        format!("{}/api/v2/signingCert", sigstore.fulcio_url()),
        &body,
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let chain = &answer["signedCertificateEmbeddedSct"]["chain"]["certificates"];
    assert_eq!(chain[1], sigstore.ca_pem().as_str());
    chain[0].as_str().unwrap().to_string()
}

/// A `dsse` proposal of `statement` signed by `signer`, verified by `cert_pem`.
fn proposal(statement: &str, signer: &SigningKey, cert_pem: &str) -> Value {
    let pae = format!(
        "DSSEv1 28 application/vnd.in-toto+json {} {statement}",
        statement.len()
    );
    let envelope = json!({
        "payload": STANDARD.encode(statement),
        "payloadType": "application/vnd.in-toto+json",
        "signatures": [{ "sig": der_signature(signer, pae.as_bytes()) }],
    });
    json!({
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": { "proposedContent": {
            "envelope": envelope.to_string(),
            "verifiers": [STANDARD.encode(cert_pem)],
        }},
    })
}

#[tokio::test]
async fn fulcio_refuses_a_wrong_audience_and_a_bad_proof_of_possession() {
    let sigstore = Sigstore::start();
    let url = format!("{}/api/v2/signingCert", sigstore.fulcio_url());
    let claims = claims();
    let sub = claims["sub"].as_str().unwrap();
    let key = key(7);

    // The index's token is not for Fulcio.
    let body = cert_request(&token(&claims, "pypi"), &key, sub);
    let (status, headers, answer) = post(url.clone(), &body).await;
    assert_eq!(status, 400);
    assert_eq!(
        answer,
        json!({"code": 3, "message": "There was an error processing the identity token", "details": []})
    );
    assert_eq!(
        headers["x-slipway-reason"],
        r#"aud is "pypi", not "sigstore""#
    );

    // A proof over something else than the token's subject.
    let body = cert_request(
        &token(&claims, "sigstore"),
        &key,
        "repo:octo/demo:ref:refs/heads/main",
    );
    let (status, _, answer) = post(url.clone(), &body).await;
    assert_eq!(status, 400);
    assert_eq!(
        answer["message"],
        "The signature supplied in the request could not be verified"
    );

    // Another key's proof.
    let mut body = cert_request(&token(&claims, "sigstore"), &key, sub);
    body["publicKeyRequest"]["proofOfPossession"] =
        der_signature(&self::key(8), sub.as_bytes()).into();
    assert_eq!(post(url.clone(), &body).await.0, 400);

    // Not a key.
    body["publicKeyRequest"]["publicKey"]["content"] =
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n".into();
    let (status, _, answer) = post(url.clone(), &body).await;
    assert_eq!(
        (status, answer["message"].as_str()),
        (
            400,
            Some("The public key supplied in the request could not be parsed")
        )
    );

    // The token in the Authorization header instead of the body.
    let mut body = cert_request("", &key, sub);
    body["credentials"] = json!({});
    let resp = client()
        .post(url)
        .bearer_auth(token(&claims, "sigstore"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(sigstore.fulcio_requests().len(), 5);
}

#[tokio::test]
async fn the_leaf_carries_the_job_identity_as_fulcio_issues_it() {
    use x509_cert::der::{Decode as _, DecodePem as _};
    let sigstore = Sigstore::start();
    let key = key(9);
    let pem = leaf(&sigstore, &key).await;
    let cert = x509_cert::Certificate::from_pem(pem.as_bytes()).unwrap();
    let tbs = &cert.tbs_certificate;
    assert!(tbs.subject.0.is_empty(), "an empty subject");
    let validity =
        tbs.validity.not_after.to_unix_duration() - tbs.validity.not_before.to_unix_duration();
    assert_eq!(validity.as_secs(), 600);
    let extension = |oid: &str| {
        tbs.extensions
            .as_ref()
            .unwrap()
            .iter()
            .find(|e| e.extn_id.to_string() == oid)
            .unwrap_or_else(|| panic!("no extension {oid}"))
    };
    let utf8 = |n: u32| {
        let e = extension(&format!("1.3.6.1.4.1.57264.1.{n}"));
        x509_cert::der::asn1::Utf8StringRef::from_der(e.extn_value.as_bytes())
            .unwrap()
            .to_string()
    };
    let raw = |n: u32| {
        String::from_utf8(
            extension(&format!("1.3.6.1.4.1.57264.1.{n}"))
                .extn_value
                .as_bytes()
                .to_vec(),
        )
        .unwrap()
    };
    let workflow = "https://github.com/octo/demo/.github/workflows/release.yml@refs/tags/v1.0.0";
    assert_eq!(utf8(8), "https://token.actions.githubusercontent.com");
    assert_eq!(utf8(9), workflow);
    assert_eq!(utf8(12), "https://github.com/octo/demo");
    assert_eq!((utf8(13), utf8(14)), (SHA.to_string(), TAG.to_string()));
    assert_eq!(utf8(18), workflow);
    assert_eq!(utf8(20), "release");
    assert_eq!(raw(1), "https://token.actions.githubusercontent.com");
    assert_eq!(raw(5), REPOSITORY);
    let san = extension("2.5.29.17");
    assert!(san.critical);
    assert!(String::from_utf8_lossy(san.extn_value.as_bytes()).contains(workflow));
    assert!(extension("2.5.29.15").critical, "KeyUsage is critical");
    assert!(
        !extension("1.3.6.1.4.1.11129.2.4.2").critical,
        "one embedded SCT list"
    );
    // The certified key is the one proven.
    let spki = &tbs.subject_public_key_info;
    assert_eq!(
        spki.subject_public_key.raw_bytes(),
        key.verifying_key().to_encoded_point(false).as_bytes()
    );
}

#[tokio::test]
async fn rekor_refuses_a_bad_signature_another_kind_and_a_duplicate() {
    let sigstore = Sigstore::start();
    let url = format!("{}/api/v1/log/entries", sigstore.rekor_url());
    let key = key(11);
    let cert = leaf(&sigstore, &key).await;
    let statement = r#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"demo-1.0.0.tar.gz","digest":{"sha256":"00"}}],"predicateType":"https://docs.pypi.org/attestations/publish/v1","predicate":null}"#;

    // Signed by another key than the certificate's.
    let (status, _, answer) = post(url.clone(), &proposal(statement, &self::key(12), &cert)).await;
    assert_eq!(status, 400);
    assert_eq!(answer["code"], 400);
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .starts_with("error processing entry: could not verify envelope"),
        "{answer}"
    );

    // Another kind.
    let mut other = proposal(statement, &key, &cert);
    other["kind"] = "intoto".into();
    let (status, _, answer) = post(url.clone(), &other).await;
    assert_eq!(status, 400);
    assert!(
        answer["message"].as_str().unwrap().contains("\"intoto\""),
        "{answer}"
    );
    assert!(sigstore.entries().is_empty());

    // Logged once; the same entry again is a conflict naming it.
    let good = proposal(statement, &key, &cert);
    let (status, headers, answer) = post(url.clone(), &good).await;
    assert_eq!(status, 201, "{answer}");
    let (uuid, entry) = answer.as_object().unwrap().iter().next().unwrap();
    assert_eq!(uuid.len(), 80);
    assert_eq!(headers["etag"], uuid.as_str());
    assert_eq!(entry["logIndex"], ACTIVE_SHARD_START);
    assert_eq!(entry["logID"], sigstore.rekor_log_id().as_str());
    let proof = &entry["verification"]["inclusionProof"];
    assert_eq!(
        (proof["logIndex"].as_u64(), proof["treeSize"].as_u64()),
        (Some(0), Some(1))
    );
    let body: Value =
        serde_json::from_slice(&STANDARD.decode(entry["body"].as_str().unwrap()).unwrap()).unwrap();
    assert_eq!(
        body["spec"]["signatures"][0]["verifier"],
        STANDARD.encode(&cert)
    );
    let (status, headers, answer) = post(url.clone(), &good).await;
    assert_eq!(status, 409);
    assert_eq!(
        answer["message"],
        format!("an equivalent entry already exists in the transparency log with UUID {uuid}")
    );
    assert_eq!(headers["location"], format!("/api/v1/log/entries/{uuid}"));
    assert_eq!(sigstore.entries().len(), 1);

    // Read back by index and by UUID.
    for path in [
        format!("?logIndex={ACTIVE_SHARD_START}"),
        format!("/{uuid}"),
    ] {
        let by_uuid = format!("{url}/{}", &uuid[16..]);
        assert_eq!(
            get_json(format!("{url}{path}")).await,
            get_json(by_uuid).await
        );
    }
    let info = get_json(format!("{}/api/v1/log", sigstore.rekor_url())).await;
    assert_eq!(info["treeSize"], 1);
    assert_eq!(info["rootHash"], proof["rootHash"]);
}

#[tokio::test]
async fn outages_refuse_connections_or_answer_503() {
    let sigstore = Sigstore::start();
    let fulcio = format!("{}/api/v2/signingCert", sigstore.fulcio_url());
    let rekor = format!("{}/api/v1/log", sigstore.rekor_url());

    let empty_request = || client().post(&fulcio).json(&json!({})).send();
    let log_info = || client().get(&rekor).send();

    sigstore.set_fulcio_outage(Outage::Refused);
    let err = empty_request().await.unwrap_err();
    assert!(err.is_connect(), "{err:?}");
    sigstore.set_fulcio_outage(Outage::None);
    let back = empty_request().await.unwrap().status();
    assert_eq!(
        back, 400,
        "up again on the same port, refusing an empty request"
    );

    sigstore.set_rekor_outage(Outage::Unavailable);
    for _ in 0..2 {
        assert_eq!(log_info().await.unwrap().status(), 503);
    }
    sigstore.set_rekor_outage(Outage::UnavailableFor(1));
    assert_eq!(log_info().await.unwrap().status(), 503);
    assert_eq!(log_info().await.unwrap().status(), 200);
    assert_eq!(sigstore.rekor_requests().len(), 4, "503s are logged");
    assert_eq!(
        sigstore.fulcio_requests().len(),
        1,
        "refused connections are not"
    );
}

#[tokio::test]
async fn one_token_endpoint_answers_each_audience_with_its_token() {
    let mut claims = claims();
    oidc::set_environment(&mut claims, "pypi");
    let github = GitHubOidc::start(TokenIssuer::github(
        "ghs_req",
        &claims,
        &["pypi", "sigstore"],
    ));
    let fetch = |audience: &'static str| {
        let url = format!("{}&audience={audience}", github.request_url());
        async move {
            let resp = client()
                .get(url)
                .bearer_auth("ghs_req")
                .send()
                .await
                .unwrap();
            (
                resp.status().as_u16(),
                resp.json::<Value>().await.unwrap_or_default(),
            )
        }
    };
    for audience in ["pypi", "sigstore"] {
        let (status, answer) = fetch(audience).await;
        assert_eq!(status, 200);
        let got = oidc::claims_of(answer["value"].as_str().unwrap()).unwrap();
        assert_eq!(got["aud"], audience);
        assert_eq!(got["sub"], "repo:octo/demo:environment:pypi");
        assert_eq!(got["environment"], "pypi");
        assert_eq!(
            got["job_workflow_ref"],
            "octo/demo/.github/workflows/release.yml@refs/tags/v1.0.0"
        );
        assert_eq!(got["iss"], oidc::GITHUB_ISSUER);
    }
    assert_eq!(fetch("testpypi").await.0, 401);
}
