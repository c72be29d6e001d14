//! The checks PyPI makes inside a wheel beyond its metadata: `RECORD` lists exactly the files
//! of the archive, and `entry_points.txt` is a valid INI file with valid script names.

use std::collections::BTreeSet;

/// The first field of each CSV row (Python's `csv.reader` default dialect: `"` quotes, `""`
/// escapes a quote). Rows without a field are skipped. `Err` names an unterminated quote.
fn first_fields(text: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        let field = if let Some(quoted) = line.strip_prefix('"') {
            let mut field = String::new();
            let mut chars = quoted.chars().peekable();
            let mut closed = false;
            while let Some(c) = chars.next() {
                if c == '"' {
                    if chars.peek() == Some(&'"') {
                        chars.next();
                        field.push('"');
                    } else {
                        closed = true;
                        break;
                    }
                } else {
                    field.push(c);
                }
            }
            if !closed {
                return Err(format!("line {} has an unterminated quote", i + 1));
            }
            field
        } else {
            line.split(',').next().unwrap_or_default().to_string()
        };
        out.push(field.replace('\\', "/"));
    }
    Ok(out)
}

/// Compares a wheel's `RECORD` with its members (files only; `RECORD.jws`/`RECORD.p7s` are
/// exempt), as PyPI does. `Err` says what differs, at most a few names each way.
pub(crate) fn check_record(
    record: &str,
    members: &[String],
    dist_info: &str,
) -> Result<(), String> {
    let listed: BTreeSet<String> = first_fields(record)?.into_iter().collect();
    let exempt = [
        format!("{dist_info}/RECORD.jws"),
        format!("{dist_info}/RECORD.p7s"),
    ];
    let present: BTreeSet<String> = members
        .iter()
        .filter(|m| !m.ends_with('/') && !m.ends_with('\\') && !exempt.contains(m))
        .cloned()
        .collect();
    let show = |set: Vec<&String>| {
        let mut names: Vec<String> = set.iter().take(5).map(|n| format!("`{n}`")).collect();
        if set.len() > 5 {
            names.push(format!("and {} more", set.len() - 5));
        }
        names.join(", ")
    };
    let unlisted: Vec<&String> = present.difference(&listed).collect();
    let missing: Vec<&String> = listed.difference(&present).collect();
    let mut problems = Vec::new();
    if !unlisted.is_empty() {
        problems.push(format!("files not listed in RECORD: {}", show(unlisted)));
    }
    if !missing.is_empty() {
        problems.push(format!(
            "RECORD lists files the wheel lacks: {}",
            show(missing)
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// Checks `entry_points.txt` as PyPI does: an INI file (Python's `configparser`, `=` as the only
/// delimiter, no duplicate sections or keys) whose `console_scripts`/`gui_scripts` names match
/// `[\w.-]+`.
pub(crate) fn check_entry_points(text: &str) -> Result<(), String> {
    let mut sections: Vec<String> = Vec::new();
    let mut keys: BTreeSet<String> = BTreeSet::new();
    let mut last_key = false;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let trimmed = line.trim();
        if trimmed.is_empty() {
            last_key = false;
            continue;
        }
        if trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if line.starts_with([' ', '\t']) && last_key {
            continue; // a continuation of the value above
        }
        if let Some(rest) = trimmed.strip_prefix('[') {
            let Some(name) = rest.strip_suffix(']') else {
                return Err(format!("line {n}: `{trimmed}` is not a `[section]` header"));
            };
            if sections.iter().any(|s| s == name) {
                return Err(format!("line {n}: section `[{name}]` appears twice"));
            }
            sections.push(name.to_string());
            keys.clear();
            last_key = false;
            continue;
        }
        let Some(section) = sections.last() else {
            return Err(format!(
                "line {n}: `{trimmed}` comes before any `[section]` header"
            ));
        };
        let Some((key, _)) = trimmed.split_once('=') else {
            return Err(format!(
                "line {n}: `{trimmed}` is not a `name = value` entry"
            ));
        };
        let key = key.trim();
        if !keys.insert(key.to_string()) {
            return Err(format!("line {n}: `{key}` appears twice in `[{section}]`"));
        }
        let script = section == "console_scripts" || section == "gui_scripts";
        let valid = !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '.' || c == '-');
        if script && !valid {
            return Err(format!(
                "line {n}: `{key}` in `[{section}]` is not a valid script name (letters, digits, `_`, `.`, `-`)"
            ));
        }
        last_key = true;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(std::string::ToString::to_string).collect()
    }

    #[test]
    fn record_matches_members() {
        let members = names(&[
            "p/__init__.py",
            "p-1.dist-info/",
            "p-1.dist-info/RECORD",
            "p-1.dist-info/RECORD.jws",
        ]);
        let record = "p/__init__.py,sha256=x,1\n\"p-1.dist-info/RECORD\",,\n\n";
        assert_eq!(check_record(record, &members, "p-1.dist-info"), Ok(()));
        let err =
            check_record("p/__init__.py,,\np/gone.py,,\n", &members, "p-1.dist-info").unwrap_err();
        assert!(
            err.contains("not listed in RECORD: `p-1.dist-info/RECORD`"),
            "{err}"
        );
        assert!(err.contains("lacks: `p/gone.py`"), "{err}");
        assert!(
            check_record("\"unterminated,,\n", &members, "p-1.dist-info")
                .unwrap_err()
                .contains("unterminated")
        );
        // Windows separators in RECORD are normalized; quoted commas are one field.
        let members = names(&["a,b.txt", "d/e.py"]);
        assert_eq!(
            check_record("\"a,b.txt\",,\nd\\e.py,,\n", &members, "x"),
            Ok(())
        );
    }

    #[test]
    fn entry_points() {
        let ok = "[console_scripts]\nmy-tool = pkg.cli:main\nother.tool=pkg:x\n  [extra]\n\n# c\n[pkg.plugins]\nany name = x:y\n";
        assert_eq!(check_entry_points(ok), Ok(()));
        assert!(
            check_entry_points("x = y\n")
                .unwrap_err()
                .contains("before any `[section]`")
        );
        assert!(
            check_entry_points("[console_scripts]\nbad/name = x:y\n")
                .unwrap_err()
                .contains("not a valid script name")
        );
        assert!(
            check_entry_points("[a]\nx = 1\n[a]\n")
                .unwrap_err()
                .contains("appears twice")
        );
        assert!(
            check_entry_points("[a]\nx = 1\nx = 2\n")
                .unwrap_err()
                .contains("`x` appears twice")
        );
        assert!(
            check_entry_points("[a]\njust words\n")
                .unwrap_err()
                .contains("not a `name = value`")
        );
        assert!(
            check_entry_points("[a\n")
                .unwrap_err()
                .contains("not a `[section]`")
        );
    }
}
