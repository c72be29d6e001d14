//! Values quoted back in messages: short, on one line, whatever the user or a server sent.
//!
//! A message names the value it is about, but a 100 KB input or a multi-line body must not
//! become a 100 KB `::error` line, and a newline inside a value must not start a line of its
//! own (a value holding `\nhint: …` would otherwise forge a hint). Every place that quotes a
//! value it did not write itself goes through [`excerpt`].

use std::borrow::Cow;

/// Values up to this many characters are quoted whole (the longest wheel names and most
/// paths fit); longer ones are cut.
pub const MAX_QUOTED_CHARS: usize = 200;
/// Characters kept from the start of a value that is cut.
const HEAD_CHARS: usize = 140;
/// Characters kept from the end of a value that is cut (file names end with what tells them
/// apart: the version, the extension).
const TAIL_CHARS: usize = 40;
/// A line of an error report longer than this many bytes is cut (see [`clip_line`]).
pub const MAX_LINE_BYTES: usize = 2000;

/// `value` as it may appear inside backticks in a message: control characters escaped
/// (`\n` → `\\n`), and at most [`MAX_QUOTED_CHARS`] characters: a longer value keeps its first
/// 140 and last 40 characters around `…`, followed by its size (`abc…xyz (102400 bytes)`).
pub fn excerpt(value: &str) -> Cow<'_, str> {
    let count = value.chars().count();
    let plain = !value.chars().any(char::is_control);
    if plain && count <= MAX_QUOTED_CHARS {
        return Cow::Borrowed(value);
    }
    if count <= MAX_QUOTED_CHARS {
        return Cow::Owned(escape_controls(value));
    }
    let head: String = value.chars().take(HEAD_CHARS).collect();
    let tail: String = value.chars().skip(count - TAIL_CHARS).collect();
    Cow::Owned(format!(
        "{}…{} ({} bytes)",
        escape_controls(&head),
        escape_controls(&tail),
        value.len()
    ))
}

/// A server's message (or any text slipway did not write) cut to at most `max` characters; a
/// cut is followed by an ellipsis and the count of what was left out (`abc… (3 more characters)`).
/// Unlike [`excerpt`], line breaks are kept: a server's multi-line explanation stays readable.
pub fn cut(text: &str, max: usize) -> String {
    let total = text.chars().count();
    if total <= max {
        return text.to_string();
    }
    let head: String = text.chars().take(max).collect();
    format!("{head}… ({} more characters)", total - max)
}

/// Control characters written as Rust escapes (`\n`, `\t`, `\u{1b}`), the rest unchanged.
fn escape_controls(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// `line` cut to at most [`MAX_LINE_BYTES`] bytes (at a character boundary), with how much was
/// left out: the last guard of the error report against a value quoted whole somewhere.
pub fn clip_line(line: &str) -> Cow<'_, str> {
    if line.len() <= MAX_LINE_BYTES {
        return Cow::Borrowed(line);
    }
    let mut end = MAX_LINE_BYTES;
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    Cow::Owned(format!(
        "{}… ({} more bytes left out)",
        &line[..end],
        line.len() - end
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_values_are_quoted_whole() {
        assert_eq!(excerpt("v1.2.0"), "v1.2.0");
        let longest = "x".repeat(MAX_QUOTED_CHARS);
        assert_eq!(excerpt(&longest), longest);
    }

    #[test]
    fn long_values_keep_head_tail_and_size() {
        let value = format!("{}{}", "a".repeat(100_000), "-1.0.tar.gz");
        let cut = excerpt(&value);
        assert!(cut.len() < 210, "{cut}");
        assert!(cut.starts_with(&"a".repeat(HEAD_CHARS)), "{cut}");
        assert!(cut.ends_with("aaaaa-1.0.tar.gz (100011 bytes)"), "{cut}");
        // Cut at characters, not bytes.
        let wide = "é".repeat(1000);
        assert!(excerpt(&wide).starts_with(&"é".repeat(HEAD_CHARS)));
    }

    #[test]
    fn control_characters_cannot_start_a_line() {
        assert_eq!(excerpt("1.0\nhint: trust me"), "1.0\\nhint: trust me");
        let long = format!("{}\r\n{}", "b".repeat(200), "c".repeat(200));
        assert!(!excerpt(&long).contains('\n'));
    }

    #[test]
    fn long_lines_are_clipped_at_a_character_boundary() {
        assert_eq!(clip_line("short"), "short");
        let line = "ü".repeat(MAX_LINE_BYTES);
        let clipped = clip_line(&line);
        assert!(clipped.len() < MAX_LINE_BYTES + 40, "{}", clipped.len());
        assert!(clipped.ends_with(&format!("… ({MAX_LINE_BYTES} more bytes left out)")));
    }
}
