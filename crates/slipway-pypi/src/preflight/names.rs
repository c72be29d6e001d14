//! File-name rules PyPI enforces: PEP 625 sdist names (`{name}-{version}.tar.gz`, normalized),
//! wheel names starting with the normalized project name, and wheel platform tags PyPI accepts.

use std::str::FromStr;

use slipway_dist::{DistFile, DistKind, Finding, filename_name_part, normalize_name};

const BACKENDS: &str = "a current build backend (setuptools, hatchling, flit-core, poetry-core, pdm-backend, maturin… through `python -m build` or `uv build`)";

/// The file-name findings for one dist whose metadata says `name` and `version`. Names or
/// versions that differ from the metadata are left to the mismatch rules.
pub fn check(file: &DistFile, name: &str, version: &str) -> Vec<Finding> {
    let mut findings = Vec::new();
    let Ok(parsed) = pep440_rs::Version::from_str(version.trim()) else {
        return findings;
    };
    let same_name = normalize_name(name.trim()) == normalize_name(&file.name);
    let same_version = pep440_rs::Version::from_str(&file.version).is_ok_and(|v| v == parsed);
    if !slipway_dist::is_valid_project_name(name.trim()) || !same_name || !same_version {
        return findings;
    }
    match file.kind {
        DistKind::Sdist => {
            let expected = slipway_dist::pep625_sdist_filename(name.trim(), &parsed);
            if file.filename.to_ascii_lowercase().ends_with(".zip") {
                findings.push(Finding::error(
                    "sdist-format",
                    "PyPI accepts sdists only as `.tar.gz` (PEP 625); a `.zip` sdist is refused",
                    format!("build the sdist with {BACKENDS}: it writes `{expected}`"),
                ));
            } else if file.filename != expected {
                findings.push(Finding::error(
                    "sdist-name",
                    format!(
                        "PyPI requires the sdist to be named `{expected}` (PEP 625: the normalized project name with `_`, the normalized version)"
                    ),
                    format!(
                        "rebuild the sdist with {BACKENDS}, which names it `{expected}` (renaming the file to that is accepted too)"
                    ),
                ));
            }
        }
        DistKind::Wheel => {
            let want = filename_name_part(name.trim());
            let (part, rest) = file.filename.split_once('-').unwrap_or_default();
            if part != want {
                let expected = format!("{want}-{rest}");
                findings.push(Finding::error(
                    "wheel-name",
                    format!(
                        "the name part `{part}` is not the normalized project name: PyPI requires the wheel to be named `{expected}`"
                    ),
                    format!(
                        "rebuild the wheel with {BACKENDS}, which names it `{expected}` (renaming the file to that is accepted too)"
                    ),
                ));
            }
            findings.extend(platform_findings(file));
        }
    }
    findings
}

/// How PyPI judges a wheel platform tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// Accepted.
    Accepted,
    /// A family PyPI accepts, with a version or architecture it did not list when this was
    /// written (it may have been added since).
    Unlisted,
    /// Refused (`linux_x86_64`, anything unknown).
    Refused,
}

const STATIC: &[&str] = &[
    "any",
    "win32",
    "win_arm64",
    "win_amd64",
    "win_ia64",
    "manylinux1_x86_64",
    "manylinux1_i686",
    "manylinux2010_x86_64",
    "manylinux2010_i686",
    "manylinux2014_x86_64",
    "manylinux2014_i686",
    "manylinux2014_aarch64",
    "manylinux2014_armv7l",
    "manylinux2014_ppc64",
    "manylinux2014_ppc64le",
    "manylinux2014_s390x",
    "linux_armv6l",
    "linux_armv7l",
];
const MACOS_ARCHES: &[&str] = &[
    "ppc",
    "ppc64",
    "i386",
    "x86_64",
    "arm64",
    "intel",
    "fat",
    "fat3",
    "fat64",
    "universal",
    "universal2",
];
const MACOS_MAJORS: &[&str] = &["11", "12", "13", "14", "15", "26"];
const LINUX_ARCHES: &[&str] = &[
    "x86_64", "i686", "aarch64", "armv7l", "ppc64le", "s390x", "riscv64",
];
const IOS_ARCHES: &[&str] = &["arm64", "x86_64"];
const ANDROID_ARCHES: &[&str] = &["armeabi_v7a", "arm64_v8a", "x86", "x86_64"];

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// `{major}_{minor}_{rest}` with two numbers.
fn two_numbers(s: &str) -> Option<(&str, &str, &str)> {
    let mut parts = s.splitn(3, '_');
    let (a, b, rest) = (parts.next()?, parts.next()?, parts.next()?);
    (digits(a) && digits(b)).then_some((a, b, rest))
}

fn judge(found: bool) -> Platform {
    if found {
        Platform::Accepted
    } else {
        Platform::Unlisted
    }
}

/// Judges one platform tag as PyPI's upload code does (`_valid_platform_tag`).
pub fn platform(tag: &str) -> Platform {
    if STATIC.contains(&tag) {
        return Platform::Accepted;
    }
    if let Some((major, minor, arch)) = tag.strip_prefix("macosx_").and_then(two_numbers) {
        let version_ok = major == "10" || (MACOS_MAJORS.contains(&major) && minor == "0");
        return judge(version_ok && MACOS_ARCHES.contains(&arch));
    }
    for (prefix, extra) in [("manylinux_", Some("ppc64")), ("musllinux_", None)] {
        if let Some((_, _, arch)) = tag.strip_prefix(prefix).and_then(two_numbers) {
            return judge(LINUX_ARCHES.contains(&arch) || extra == Some(arch));
        }
    }
    if let Some((_, _, rest)) = tag.strip_prefix("ios_").and_then(two_numbers) {
        let arch = rest
            .strip_suffix("_iphoneos")
            .or_else(|| rest.strip_suffix("_iphonesimulator"));
        if let Some(arch) = arch {
            return judge(IOS_ARCHES.contains(&arch));
        }
    }
    if let Some((level, arch)) = tag.strip_prefix("android_").and_then(|r| r.split_once('_'))
        && digits(level)
    {
        return judge(ANDROID_ARCHES.contains(&arch));
    }
    if let Some((_, _, rest)) = tag.strip_prefix("pyemscripten_").and_then(two_numbers) {
        return judge(rest.starts_with("wasm32"));
    }
    Platform::Refused
}

fn platform_findings(file: &DistFile) -> Vec<Finding> {
    let Some(tags) = file
        .filename
        .strip_suffix(".whl")
        .and_then(|s| s.rsplit('-').next())
    else {
        return Vec::new();
    };
    let mut findings = Vec::new();
    for tag in tags.split('.') {
        match platform(tag) {
            Platform::Accepted => {}
            Platform::Unlisted => findings.push(Finding::warning(
                "wheel-platform",
                format!("the platform tag `{tag}` is not one PyPI accepted when this slipway was released; PyPI may refuse it"),
                "check that the tag is right (PyPI's accepted platforms: any, win*, manylinux/musllinux with a listed architecture, macosx_10_*/macosx_{11..}_0, ios, android)",
            )),
            Platform::Refused => findings.push(Finding::error(
                "wheel-platform",
                format!("PyPI refuses the platform tag `{tag}`"),
                if tag.starts_with("linux_") {
                    "a `linux_*` wheel only runs where it was built: repair it into a manylinux/musllinux wheel with `auditwheel repair`, or build with cibuildwheel".to_string()
                } else {
                    "build the wheel for a platform PyPI accepts (any, win*, manylinux/musllinux, macosx, ios, android)".to_string()
                },
            )),
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_tags() {
        for ok in [
            "any",
            "win_amd64",
            "manylinux_2_17_x86_64",
            "manylinux2014_aarch64",
            "musllinux_1_2_riscv64",
            "macosx_10_9_x86_64",
            "macosx_11_0_arm64",
            "macosx_14_0_universal2",
            "ios_13_0_arm64_iphoneos",
            "ios_13_0_x86_64_iphonesimulator",
            "android_21_arm64_v8a",
            "pyemscripten_2024_0_wasm32",
            "manylinux_2_28_ppc64",
        ] {
            assert_eq!(platform(ok), Platform::Accepted, "{ok}");
        }
        for unlisted in [
            "macosx_11_1_arm64",
            "macosx_27_0_arm64",
            "manylinux_2_17_mips",
            "musllinux_1_2_ppc64",
        ] {
            assert_eq!(platform(unlisted), Platform::Unlisted, "{unlisted}");
        }
        for refused in [
            "linux_x86_64",
            "linux_aarch64",
            "cygwin",
            "macosx_x_y_arm64",
            "freebsd_14_0_amd64",
        ] {
            assert_eq!(platform(refused), Platform::Refused, "{refused}");
        }
    }
}
