//! The multipart/form-data parser doubles read upload forms with.

/// Splits a multipart/form-data body into `(name, bytes)` parts, in order; a body that is not
/// multipart with this `boundary` gives no parts.
pub fn parse_multipart(body: &[u8], boundary: &str) -> Vec<(String, Vec<u8>)> {
    let delim = format!("--{boundary}");
    if boundary.is_empty() {
        return Vec::new();
    }
    let positions: Vec<usize> = body
        .windows(delim.len())
        .enumerate()
        .filter(|(_, w)| *w == delim.as_bytes())
        .map(|(i, _)| i)
        .collect();
    let mut parts = Vec::new();
    for pair in positions.windows(2) {
        let (start, end) = (pair[0] + delim.len() + 2, pair[1].saturating_sub(2));
        let Some(part) = body.get(start..end) else {
            continue;
        };
        let Some(split) = part.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&part[..split]);
        let name = quoted(&head, "name").to_string();
        parts.push((name, part[split + 4..].to_vec()));
    }
    parts
}

/// The first quoted value of `key="…"` in `text` (e.g. a part's `name` or `filename`); empty
/// when there is none.
pub fn quoted<'a>(text: &'a str, key: &str) -> &'a str {
    text.split(&format!("{key}=\""))
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::parse_multipart;

    #[test]
    fn parts_come_back_in_order_with_their_bytes() {
        let body = b"--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\none\r\n--B\r\nContent-Disposition: form-data; name=\"content\"; filename=\"f\"\r\n\r\n\x00\r\n\x01\r\n--B--\r\n";
        let parts = parse_multipart(body, "B");
        assert_eq!(
            parts,
            [
                ("a".to_string(), b"one".to_vec()),
                ("content".to_string(), b"\x00\r\n\x01".to_vec()),
            ]
        );
        assert!(parse_multipart(b"not a form", "B").is_empty());
    }
}
