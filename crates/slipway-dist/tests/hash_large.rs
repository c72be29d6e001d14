//! Hashing a few hundred megabytes keeps memory flat. Alone in its own test binary so the peak
//! resident size it checks is not disturbed by other tests running in parallel.

use slipway_dist::hash_file;

/// Digests of 300 MiB of zero bytes, computed independently with
/// `head -c $((300*1024*1024)) /dev/zero | sha256sum` and `| b2sum -l 256`.
const ZEROS_SHA256: &str = "17a88af83717f68b8bd97873ffcf022c8aed703416fe9b08e0fa9e3287692bf0";
const ZEROS_BLAKE2_256: &str = "a752fcb896600e71ce06456301c92108160aeb43d7e9e5e55dae927f739a11b8";
const SIZE: u64 = 300 * 1024 * 1024;

/// Peak resident set size of this process in KiB (`VmHWM`), on Linux.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn huge_sparse_file_hashes_with_flat_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("zeros.whl");
    std::fs::File::create(&path).unwrap().set_len(SIZE).unwrap();

    let before = peak_rss_kib();
    let hashes = hash_file(&path).unwrap();
    let after = peak_rss_kib();

    assert_eq!(hashes.size, SIZE);
    assert_eq!(hashes.sha256, ZEROS_SHA256);
    assert_eq!(hashes.blake2_256, ZEROS_BLAKE2_256);
    if let (Some(before), Some(after)) = (before, after) {
        let grown = after.saturating_sub(before);
        assert!(
            grown < 16 * 1024,
            "peak RSS grew by {grown} KiB while hashing"
        );
    }
}

#[test]
fn small_file_digests_match_python_hashlib() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hello");
    std::fs::write(&path, b"hello\n").unwrap();
    let hashes = hash_file(&path).unwrap();
    // hashlib.sha256(b"hello\n"), hashlib.blake2b(b"hello\n", digest_size=32)
    assert_eq!(
        hashes.sha256,
        "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"
    );
    assert_eq!(
        hashes.blake2_256,
        "93becc6e9882211c3ec3708c95bcd69baab7bb59c7f4bc84ce637b88a534b783"
    );
    assert_eq!(hashes.size, 6);
    let missing = hash_file(&dir.path().join("nope")).unwrap_err().to_string();
    assert!(
        missing.starts_with("cannot read `") && missing.contains("nope`"),
        "{missing}"
    );
}
