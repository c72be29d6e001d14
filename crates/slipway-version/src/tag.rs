//! Tags: templates (`v{version}` ↔ `v1.2.0`) and the one check of a tag name, shared by every
//! tool that takes or makes a tag.

use crate::VersionError;

const PLACEHOLDERS: [&str; 4] = ["version", "major", "minor", "patch"];

/// One piece of a template: literal text or a placeholder name.
enum Piece<'a> {
    Text(&'a str),
    Field(&'a str),
}

fn pieces(template: &str) -> Result<Vec<Piece<'_>>, VersionError> {
    let bad = |reason: String| VersionError::InvalidTemplate {
        template: template.to_string(),
        reason,
    };
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find(['{', '}']) {
        if rest[open..].starts_with('}') {
            return Err(bad("a `}` without a matching `{`".to_string()));
        }
        if open > 0 {
            out.push(Piece::Text(&rest[..open]));
        }
        let close = rest[open..]
            .find('}')
            .ok_or_else(|| bad("a `{` without a matching `}`".to_string()))?;
        let name = &rest[open + 1..open + close];
        if !PLACEHOLDERS.contains(&name) {
            return Err(bad(format!(
                "unknown placeholder `{{{name}}}` (use `{{version}}`, `{{major}}`, `{{minor}}`, `{{patch}}`)"
            )));
        }
        out.push(Piece::Field(name));
        rest = &rest[open + close + 1..];
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    if !out.iter().any(|p| matches!(p, Piece::Field("version"))) {
        return Err(bad("it must contain `{version}`".to_string()));
    }
    Ok(out)
}

/// The leading release numbers of a version (`v1.2.3rc1` → [1, 2, 3]), missing ones as 0.
fn release_numbers(version: &str) -> [Option<u64>; 3] {
    let bare = version.trim().trim_start_matches(['v', 'V']);
    let bare = bare.split_once('!').map_or(bare, |(_, r)| r);
    let mut out = [None; 3];
    let mut parts = bare.split('.');
    for slot in &mut out {
        let Some(part) = parts.next() else { break };
        let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
        let Ok(n) = digits.parse() else { break };
        *slot = Some(n);
        if digits.len() != part.len() {
            break;
        }
    }
    if out[0].is_some() {
        for slot in &mut out[1..] {
            slot.get_or_insert(0);
        }
    }
    out
}

/// The longest `/`-separated part of a tag, in bytes: git keeps each tag as a file (and each
/// part before a `/` as a directory) under `.git/refs/tags`, and file names stop at 255 bytes.
pub const MAX_TAG_PART_BYTES: usize = 255;

/// Checks `tag` against git's rules for ref names (`git check-ref-format`), the rules GitHub
/// applies to the tag of a release; the error names the first rule it breaks. Every slipway
/// tool that takes or makes a tag checks it here, so a tag one tool accepts the others accept.
pub fn validate_tag(tag: &str) -> Result<(), VersionError> {
    let reason = tag_problem(tag);
    match reason {
        None => Ok(()),
        Some(reason) => Err(VersionError::InvalidTag {
            tag: tag.to_string(),
            reason,
        }),
    }
}

/// The first ref-name rule `tag` breaks, in words; `None` for a valid tag.
fn tag_problem(tag: &str) -> Option<String> {
    if tag.is_empty() {
        return Some("it is empty".into());
    }
    if let Some(c) = tag.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Some(if c == ' ' {
            "it contains a space".into()
        } else {
            format!("it contains the character {}", c.escape_default())
        });
    }
    if let Some(c) = tag.chars().find(|c| "~^:?*[\\".contains(*c)) {
        return Some(format!("it contains `{c}`"));
    }
    for (bad, what) in [("..", "`..`"), ("@{", "`@{`"), ("//", "`//`")] {
        if tag.contains(bad) {
            return Some(format!("it contains {what}"));
        }
    }
    if tag == "@" {
        return Some("it is `@` alone".into());
    }
    if tag.starts_with('/') || tag.ends_with('/') {
        return Some("it starts or ends with `/`".into());
    }
    if tag.ends_with('.') {
        return Some("it ends with `.`".into());
    }
    for part in tag.split('/') {
        if part.starts_with('.') {
            return Some("it (or a `/`-separated part of it) starts with `.`".into());
        }
        if part.ends_with(".lock") {
            return Some("it (or a `/`-separated part of it) ends with `.lock`".into());
        }
        if part.len() > MAX_TAG_PART_BYTES {
            return Some(format!(
                "it (or a `/`-separated part of it) is longer than {MAX_TAG_PART_BYTES} bytes, too long for git to store"
            ));
        }
    }
    None
}

/// The version a `version` input means when it is written like a tag: `v1.2.0` → `1.2.0`
/// (`v` or `V` followed by a digit, as PEP 440 itself normalises it); `None` when it has no
/// such prefix. Tools that put a version into a tag template drop the `v` (with a notice)
/// rather than make `vv1.2.0`.
pub fn strip_v_prefix(version: &str) -> Option<&str> {
    version
        .strip_prefix(['v', 'V'])
        .filter(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
}

/// Renders a tag from a template with `{version}` (required), `{major}`, `{minor}`, `{patch}`.
/// A template that makes a tag git refuses ([`validate_tag`]) is an invalid template.
pub fn render_tag(template: &str, version: &str) -> Result<String, VersionError> {
    let pieces = pieces(template)?;
    let numbers = release_numbers(version);
    let mut out = String::new();
    for piece in pieces {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Field("version") => out.push_str(version),
            Piece::Field(name) => {
                let i = match name {
                    "major" => 0,
                    "minor" => 1,
                    _ => 2,
                };
                let n = numbers[i].ok_or_else(|| VersionError::InvalidTemplate {
                    template: template.to_string(),
                    reason: format!(
                        "`{{{name}}}` needs a version starting with numbers, not `{version}`"
                    ),
                })?;
                out.push_str(&n.to_string());
            }
        }
    }
    if let Some(reason) = tag_problem(&out) {
        return Err(VersionError::TemplateMakesBadTag {
            template: template.to_string(),
            tag: out,
            reason,
        });
    }
    Ok(out)
}

/// The version a tag carries under a template (`v{version}` + `v1.2.0` → `1.2.0`); `None` when
/// the tag does not have the template's shape or the template is invalid.
pub fn version_from_tag(template: &str, tag: &str) -> Option<String> {
    let mut regex = String::from("^");
    for piece in pieces(template).ok()? {
        match piece {
            Piece::Text(t) => regex.push_str(&regex_lite::escape(t)),
            Piece::Field("version") => regex.push_str("(.+)"),
            Piece::Field(_) => regex.push_str("[0-9]+"),
        }
    }
    regex.push('$');
    let re = regex_lite::Regex::new(&regex).ok()?;
    let version = re.captures(tag)?.get(1)?.as_str().to_string();
    // The numbered placeholders must agree with the version they surround.
    (render_tag(template, &version).ok()? == tag).then_some(version)
}
