//! E-mail addresses in `Author-email` / `Maintainer-email`, checked as PyPI checks them: the
//! field is read with Python's `email.utils.parseaddr`, and a single address must pass
//! `email_validator` (syntax only, no DNS). A list of several addresses is not checked by PyPI.

/// The fields of `Name <addr>, "Quoted, Name" <addr2>`, split at commas outside quotes,
/// angle brackets and comments.
fn split_addresses(value: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut quoted, mut angle, mut paren, mut start) = (false, false, 0u32, 0);
    let mut escaped = false;
    for (i, c) in value.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' if quoted => escaped = true,
            '"' if !angle && paren == 0 => quoted = !quoted,
            '<' if !quoted => angle = true,
            '>' if !quoted => angle = false,
            '(' if !quoted && !angle => paren += 1,
            ')' if !quoted && !angle => paren = paren.saturating_sub(1),
            ',' if !quoted && !angle && paren == 0 => {
                parts.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&value[start..]);
    parts.into_iter().filter(|p| !p.trim().is_empty()).collect()
}

/// The address in one `Name <addr>` / `addr (comment)` / `addr` entry.
fn address_of(entry: &str) -> String {
    let entry = entry.trim();
    if let (Some(open), Some(close)) = (entry.rfind('<'), entry.rfind('>'))
        && open < close
    {
        return entry[open + 1..close].trim().to_string();
    }
    let mut out = String::new();
    let mut depth = 0u32;
    for c in entry.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out.trim().to_string()
}

const SPECIAL_USE: [&str; 6] = ["arpa", "invalid", "local", "localhost", "onion", "test"];

/// Why `address` is not a valid e-mail address (`email_validator`'s syntax rules with its
/// defaults: no quoted local parts, no IP literals, a domain with a period, a letter at the end
/// and not a special-use name); `None` when it is valid.
pub fn invalid_address(address: &str) -> Option<String> {
    let Some((local, domain)) = address.rsplit_once('@') else {
        return Some("it has no `@`".to_string());
    };
    if local.is_empty() {
        return Some("there is nothing before the `@`".to_string());
    }
    if domain.is_empty() {
        return Some("there is nothing after the `@`".to_string());
    }
    if address.chars().count() > 254 || local.len() > 64 {
        return Some("it is too long".to_string());
    }
    if local.starts_with('"') {
        return Some("a quoted part before the `@` is not allowed".to_string());
    }
    let atom_ok =
        |c: char| c.is_alphanumeric() || !c.is_ascii() || "!#$%&'*+-/=?^_`{|}~".contains(c);
    if let Some(c) = local.chars().find(|&c| c != '.' && !atom_ok(c)) {
        return Some(format!(
            "`{}` is not allowed before the `@`",
            c.escape_debug()
        ));
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Some("the part before the `@` has a misplaced period".to_string());
    }
    if domain.starts_with('[') {
        return Some("an IP address after the `@` is not allowed".to_string());
    }
    let domain = domain.strip_suffix('.').unwrap_or(domain).to_lowercase();
    if !domain.contains('.') {
        return Some("the part after the `@` has no period".to_string());
    }
    for label in domain.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Some("the part after the `@` has an empty or too long label".to_string());
        }
        if let Some(c) = label.chars().find(|&c| !(c.is_alphanumeric() || c == '-')) {
            return Some(format!(
                "`{}` is not allowed after the `@`",
                c.escape_debug()
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Some("a label after the `@` starts or ends with a hyphen".to_string());
        }
    }
    if !domain.ends_with(|c: char| c.is_alphabetic()) {
        return Some("the part after the `@` does not end in a valid top-level domain".to_string());
    }
    let last = domain.rsplit('.').next().unwrap_or_default();
    if SPECIAL_USE.contains(&last) {
        return Some(format!(
            "`.{last}` is a special-use domain that cannot receive e-mail"
        ));
    }
    None
}

/// The address checks of one field: `(address, reason, refused)` for each invalid address;
/// `refused` when the field holds a single address (PyPI checks only then).
pub fn check_field(value: &str) -> Vec<(String, String, bool)> {
    let entries = split_addresses(value);
    let single = entries.len() == 1;
    entries
        .into_iter()
        .map(address_of)
        .filter(|a| !a.is_empty())
        .filter_map(|a| invalid_address(&a).map(|why| (a, why, single)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_in_fields() {
        assert_eq!(check_field("Ada Lovelace <ada@example.org>"), []);
        assert_eq!(
            check_field("\"Lovelace, Ada\" <ada@example.org>, bob@example.org (Bob)"),
            []
        );
        let bad = check_field("Ada <ada@localhost>");
        assert_eq!(bad.len(), 1);
        assert!(bad[0].2 && bad[0].0 == "ada@localhost", "{bad:?}");
        let listed = check_field("a@example.org, Bob <bob@x>");
        assert_eq!(listed.len(), 1);
        assert!(!listed[0].2, "a list is not refused");
        assert!(check_field("Ada Lovelace")[0].1.contains("no `@`"));
    }

    #[test]
    fn address_syntax() {
        for ok in [
            "ada@example.org",
            "a+b@x.co",
            "ü@x.org",
            "a@bücher.ch",
            "a@x.example",
            "x@sub.domain.io.",
        ] {
            assert_eq!(invalid_address(ok), None, "{ok}");
        }
        for bad in [
            "a@localhost",
            "a@b.c1",
            "a..b@x.org",
            ".a@x.org",
            "a@-x.org",
            "a@x_y.org",
            "\"q\"@x.org",
            "a@x.test",
            "a@[1.2.3.4]",
            "a b@x.org",
            "@x.org",
            "a@",
        ] {
            assert!(invalid_address(bad).is_some(), "{bad}");
        }
    }
}
