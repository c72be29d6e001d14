//! PEP 740 attestations, end to end: pypi-publish run as the runner runs it, with trusted
//! publishing against the fake index, GitHub's token endpoint giving the job's identity for both
//! audiences, and the Sigstore doubles (Fulcio, Rekor). What it signs is verified with PyPI's own
//! library, pypi-attestations (`scripts/verify-attestations.py`), against the doubles' trusted
//! root: it passes for this workflow and fails for another.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::fake::{self, Reply};
use common::{Outcome, run, tool, workspace_root};
use slipway_testkit::doubles::oidc::{self, GitHubOidc, Minting, TokenIssuer};
use slipway_testkit::doubles::sigstore::{Outage, Sigstore};

const REQUEST_TOKEN: &str = "ghs_requesttokenATTEST0123456";
const MINTED: &str = "pypi-mintedTOKEN-attest-0123456789";
const REPOSITORY: &str = "octo/attested";
const WORKFLOW: &str = "release.yml";

/// The job's side (GitHub's token endpoint, both audiences), the index (trusted publishing), and
/// Sigstore.
struct World {
    github: GitHubOidc,
    index: fake::Fake,
    sigstore: Sigstore,
    claims: serde_json::Value,
    dir: tempfile::TempDir,
}

impl World {
    fn new() -> Self {
        Self::with_claims(oidc::github_claims(
            REPOSITORY,
            WORKFLOW,
            "refs/tags/v1.0",
            "0123456789abcdef0123456789abcdef01234567",
        ))
    }

    fn with_claims(claims: serde_json::Value) -> Self {
        let issuer = TokenIssuer::github(REQUEST_TOKEN, &claims, &["testpypi", "sigstore"]);
        let index_jwt = issuer.jwt_for("testpypi").unwrap().to_string();
        let github = GitHubOidc::start(issuer);
        let minting = Minting::new("testpypi", &index_jwt, MINTED);
        let minted_basic = minting.upload_authorization().unwrap();
        let index = fake::index(move |r, _| {
            minting.answer(r).or_else(|| {
                (r.method == "POST"
                    && r.path == "/legacy/"
                    && r.header("authorization") != Some(minted_basic.as_str()))
                .then(|| Reply::new(403, "text/plain", "wrong credentials"))
            })
        });
        let dir = tempfile::tempdir().unwrap();
        for entry in std::fs::read_dir(built()).unwrap() {
            let path = entry.unwrap().path();
            std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
        }
        Self {
            github,
            index,
            sigstore: Sigstore::start(),
            claims,
            dir,
        }
    }

    /// Runs pypi-publish with trusted publishing and `extra` inputs (replacing defaults).
    fn publish(&self, extra: &[(&str, &str)]) -> Outcome {
        let upload = format!("{}/legacy/", self.index.base);
        let simple = format!("{}/simple/", self.index.base);
        let token_url = self.github.request_url();
        let mut inputs = vec![
            ("packages-dir", self.dir.path().to_str().unwrap()),
            ("repository-url", upload.as_str()),
            ("index-url", simple.as_str()),
            ("fulcio-url", self.sigstore.fulcio_url()),
            ("rekor-url", self.sigstore.rekor_url()),
        ];
        for (k, v) in extra {
            inputs.retain(|(name, _)| name != k);
            inputs.push((k, v));
        }
        let out = run(
            &inputs,
            &[
                ("ACTIONS_ID_TOKEN_REQUEST_URL", token_url.as_str()),
                ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", REQUEST_TOKEN),
            ],
        );
        let jwts: Vec<String> = ["testpypi", "sigstore"]
            .iter()
            .map(|aud| {
                let mut c = self.claims.clone();
                c["aud"] = (*aud).into();
                oidc::jwt(&c)
            })
            .collect();
        for secret in [MINTED, REQUEST_TOKEN, &jwts[0], &jwts[1]] {
            assert!(!out.leaks(secret), "a token leaked:\n{}", out.all_text());
        }
        out
    }

    /// The dists in the packages directory.
    fn dists(&self) -> Vec<PathBuf> {
        let mut dists: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                let n = p.to_string_lossy();
                n.ends_with(".whl") || n.ends_with(".tar.gz")
            })
            .collect();
        dists.sort();
        dists
    }

    /// Runs pypi-attestations on every dist (for `workflow`); its output lines and success.
    fn verify(&self, workflow: &str) -> (String, bool) {
        let root = self.sigstore.write_trusted_root(self.dir.path());
        let out = Command::new(tool("python"))
            .arg(workspace_root().join("scripts/verify-attestations.py"))
            .arg("--trusted-root")
            .arg(&root)
            .args(["--repository", REPOSITORY, "--workflow", workflow])
            .args(self.dists())
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (text, out.status.success())
    }
}

/// The fixture dists, built once (flit-core); each test works on its own copy.
fn built() -> &'static Path {
    static DISTS: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, dir) = DISTS.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let dir = common::build_dists("flit-core", "attested-demo", "1.0", tmp.path());
        (tmp, dir)
    });
    dir
}

fn attestation_of(dist: &Path) -> PathBuf {
    PathBuf::from(format!("{}.publish.attestation", dist.display()))
}

#[test]
fn every_dist_is_signed_before_upload_and_pypi_attestations_verifies_it_for_this_workflow_only() {
    let world = World::new();
    let out = world.publish(&[]);
    out.assert_ok();
    let uploads = world.index.uploads();
    assert_eq!(uploads.len(), 2);
    // Everything was signed before the first upload: both Rekor entries precede it.
    assert_eq!(world.sigstore.entries().len(), 2);
    assert_eq!(world.sigstore.fulcio_requests().len(), 1, "one certificate");
    for dist in world.dists() {
        let name = dist.file_name().unwrap().to_string_lossy().into_owned();
        let upload = uploads
            .iter()
            .find(|u| {
                u.form().iter().any(|(k, v)| {
                    k == "content" && v.len() as u64 == std::fs::metadata(&dist).unwrap().len()
                }) && u
                    .fields()
                    .iter()
                    .any(|(k, v)| k == "filetype" && (v == "sdist") == name.ends_with(".tar.gz"))
            })
            .unwrap_or_else(|| panic!("no upload of {name}"));
        let fields = upload.fields();
        let sent = fields
            .iter()
            .find(|(k, _)| k == "attestations")
            .map(|(_, v)| v.clone())
            .expect("the form carries attestations");
        let list: Vec<serde_json::Value> = serde_json::from_str(&sent).unwrap();
        assert_eq!(list.len(), 1);
        let on_disk: serde_json::Value =
            serde_json::from_slice(&std::fs::read(attestation_of(&dist)).unwrap()).unwrap();
        assert_eq!(
            list[0], on_disk,
            "{name}: the file beside the dist is what was sent"
        );
        assert_eq!(on_disk["version"], 1);
    }
    let (verified, ok) = world.verify(WORKFLOW);
    assert!(ok, "pypi-attestations refused them:\n{verified}");
    assert_eq!(
        verified
            .lines()
            .filter(|l| l.starts_with("ok ")
                && l.ends_with("https://docs.pypi.org/attestations/publish/v1"))
            .count(),
        2,
        "{verified}"
    );
    let (other, ok) = world.verify("nightly.yml");
    assert!(!ok, "verified for another workflow:\n{other}");
    assert!(other.contains("Build Config URI"), "{other}");

    let outputs: Vec<serde_json::Value> =
        serde_json::from_str(&out.outputs["attestations"]).unwrap();
    assert_eq!(outputs.len(), 2);
    assert!(
        outputs
            .iter()
            .all(|a| a["reused"] == false && a["log-index"].is_u64())
    );
    assert!(
        out.summary.contains("Attestations (PEP 740)"),
        "{}",
        out.summary
    );
    assert!(
        out.summary
            .contains("octo/attested .github/workflows/release.yml @ refs/tags/v1.0"),
        "{}",
        out.summary
    );
    let index = world.sigstore.entries()[0].log_index;
    assert!(
        out.summary.contains(&format!("[{index}](")),
        "{}",
        out.summary
    );
}

#[test]
fn a_rerun_and_a_second_index_reuse_the_attestations_without_signing_again() {
    let world = World::new();
    world.publish(&[]).assert_ok();
    let before: Vec<Vec<u8>> = world
        .dists()
        .iter()
        .map(|d| std::fs::read(attestation_of(d)).unwrap())
        .collect();
    let again = world.publish(&[]);
    again.assert_ok();
    assert_eq!(
        world.sigstore.fulcio_requests().len(),
        1,
        "no new certificate"
    );
    assert_eq!(world.sigstore.entries().len(), 2, "no new log entry");
    let outputs: Vec<serde_json::Value> =
        serde_json::from_str(&again.outputs["attestations"]).unwrap();
    assert!(outputs.iter().all(|a| a["reused"] == true), "{outputs:?}");
    let after: Vec<Vec<u8>> = world
        .dists()
        .iter()
        .map(|d| std::fs::read(attestation_of(d)).unwrap())
        .collect();
    assert_eq!(before, after, "the files are left as they were");
    let (verified, ok) = world.verify(WORKFLOW);
    assert!(ok, "{verified}");
}

#[test]
fn an_attestation_for_other_bytes_fails_naming_both_digests_and_uploads_nothing() {
    let world = World::new();
    let dists = world.dists();
    world.publish(&[]).assert_ok();
    // The wheel's attestation put beside the sdist: it attests other bytes.
    std::fs::copy(attestation_of(&dists[0]), attestation_of(&dists[1])).unwrap();
    let uploads_before = world.index.uploads().len();
    let out = world.publish(&[]);
    let sha = |p: &Path| {
        use sha2::Digest as _;
        hex::encode(sha2::Sha256::digest(std::fs::read(p).unwrap()))
    };
    out.assert_failed_with(&[
        "is for other bytes than",
        &sha(&dists[0]),
        &sha(&dists[1]),
        "hint: the dist was rebuilt",
    ]);
    assert_eq!(
        world.index.uploads().len(),
        uploads_before,
        "nothing uploaded"
    );
}

#[test]
fn an_attestation_by_another_workflow_is_signed_again_with_a_warning() {
    let world = World::new();
    let mut other = world.claims.clone();
    let workflow_ref = format!("{REPOSITORY}/.github/workflows/nightly.yml@refs/tags/v1.0");
    other["workflow_ref"] = workflow_ref.clone().into();
    other["job_workflow_ref"] = workflow_ref.into();
    world.sigstore.certify_as(Some(other));
    world.publish(&[("skip-existing", "true")]).assert_ok();
    let (_, ok) = world.verify(WORKFLOW);
    assert!(
        !ok,
        "signed as nightly.yml, it must not verify for release.yml"
    );
    world.sigstore.certify_as(None);
    let out = world.publish(&[]);
    out.assert_ok();
    assert!(
        out.warnings()
            .iter()
            .any(|w| w.contains("not by this workflow") && w.contains("nightly.yml")),
        "{:?}",
        out.warnings()
    );
    let (verified, ok) = world.verify(WORKFLOW);
    assert!(ok, "{verified}");
}

#[test]
fn fulcio_or_rekor_down_uploads_nothing_and_says_which_service_and_how_to_publish_without() {
    for service in ["Fulcio", "Rekor"] {
        let world = World::new();
        if service == "Fulcio" {
            world.sigstore.set_fulcio_outage(Outage::Unavailable);
        } else {
            world.sigstore.set_rekor_outage(Outage::Unavailable);
        }
        let out = world.publish(&[]);
        out.assert_failed_with(&[service, "nothing was uploaded", "attestations: false"]);
        assert!(world.index.uploads().is_empty(), "{service}: uploaded");
        assert!(
            world.dists().iter().all(|d| !attestation_of(d).exists()),
            "{service}: no half-made attestation file"
        );
    }
}

#[test]
fn a_503_once_is_retried_and_the_publish_goes_on() {
    let world = World::new();
    world.sigstore.set_fulcio_outage(Outage::UnavailableFor(1));
    world.sigstore.set_rekor_outage(Outage::UnavailableFor(1));
    world.publish(&[]).assert_ok();
    assert_eq!(world.index.uploads().len(), 2);
    let (verified, ok) = world.verify(WORKFLOW);
    assert!(ok, "{verified}");
}

#[test]
fn without_attestations_nothing_is_signed_and_nothing_is_sent() {
    let world = World::new();
    world.publish(&[("attestations", "false")]).assert_ok();
    assert!(world.sigstore.fulcio_requests().is_empty());
    assert!(world.sigstore.rekor_requests().is_empty());
    for upload in world.index.uploads() {
        assert!(!upload.fields().iter().any(|(k, _)| k == "attestations"));
    }
    assert!(world.dists().iter().all(|d| !attestation_of(d).exists()));
}

#[test]
fn with_an_api_token_no_attestation_is_made_unless_always_was_asked() {
    let world = World::new();
    let upload = format!("{}/legacy/", world.index.base);
    let token = common::fake::TOKEN;
    let base = [
        ("packages-dir", world.dir.path().to_str().unwrap()),
        ("repository-url", upload.as_str()),
        ("password", token),
        ("fulcio-url", world.sigstore.fulcio_url()),
        ("rekor-url", world.sigstore.rekor_url()),
    ];
    let mut always = base.to_vec();
    always.push(("attestations", "always"));
    let out = run(&always, &[]);
    out.assert_failed_with(&[
        "`attestations` is `always`",
        "API token",
        "hint: remove `password`",
    ]);
    assert!(
        world.index.requests().is_empty(),
        "refused before any request"
    );
    assert!(world.sigstore.fulcio_requests().is_empty());
}

#[test]
fn a_dry_run_signs_nothing() {
    let world = World::new();
    let out = world.publish(&[("dry-run", "true")]);
    out.assert_ok();
    assert!(world.sigstore.fulcio_requests().is_empty());
    assert!(world.sigstore.rekor_requests().is_empty());
    assert!(world.dists().iter().all(|d| !attestation_of(d).exists()));
}

#[test]
fn without_id_token_write_the_message_says_attestations_need_it_too() {
    let world = World::new();
    let upload = format!("{}/legacy/", world.index.base);
    let out = run(
        &[
            ("packages-dir", world.dir.path().to_str().unwrap()),
            ("repository-url", upload.as_str()),
            ("fulcio-url", world.sigstore.fulcio_url()),
            ("rekor-url", world.sigstore.rekor_url()),
        ],
        &[],
    );
    out.assert_failed_with(&["id-token: write", "attestations"]);
    assert!(world.index.uploads().is_empty());
    assert!(world.sigstore.fulcio_requests().is_empty());
}

#[test]
fn a_promotion_reuses_the_attestations_made_for_the_staging_upload() {
    // Staging: signed there, the attestations written beside the dists.
    let staging = World::new();
    staging.publish(&[]).assert_ok();
    assert_eq!(staging.sigstore.entries().len(), 2);
    // Production, another job of the same workflow: the dists and their attestations carried over.
    let production = World::new();
    for dist in staging.dists() {
        let attestation = attestation_of(&dist);
        std::fs::copy(
            &attestation,
            production.dir.path().join(attestation.file_name().unwrap()),
        )
        .unwrap();
    }
    let from = format!("{}/simple/", staging.index.base);
    let out = production.publish(&[("promote-from", &from)]);
    out.assert_ok();
    assert!(out.summary.contains("### Promotion"), "{}", out.summary);
    assert_eq!(
        production.sigstore.fulcio_requests().len(),
        0,
        "nothing signed again"
    );
    let outputs: Vec<serde_json::Value> =
        serde_json::from_str(&out.outputs["attestations"]).unwrap();
    assert_eq!(outputs.len(), 2);
    assert!(outputs.iter().all(|a| a["reused"] == true), "{outputs:?}");
    // Each upload carries the staging upload's attestation, as it was.
    let uploads = production.index.uploads();
    assert_eq!(uploads.len(), 2);
    let made: Vec<serde_json::Value> = staging
        .dists()
        .iter()
        .map(|d| serde_json::from_slice(&std::fs::read(attestation_of(d)).unwrap()).unwrap())
        .collect();
    for upload in &uploads {
        let sent = upload
            .fields()
            .iter()
            .find(|(k, _)| k == "attestations")
            .map(|(_, v)| v.clone())
            .expect("an attestations field");
        let list: Vec<serde_json::Value> = serde_json::from_str(&sent).unwrap();
        assert!(made.contains(&list[0]), "{sent}");
    }
}
