//! UTC calendar times: Unix seconds to and from RFC 3339, the form GitHub, event payloads and
//! Sigstore write (`2026-12-01T12:34:56Z`, offsets and fractions accepted when reading). One
//! implementation of the civil-date conversion (proleptic Gregorian, Howard Hinnant's
//! days-from-civil algorithms) for every crate that shows or reads a time.

use std::fmt;

/// A UTC calendar time, to the second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Utc {
    /// Year (proleptic Gregorian).
    pub year: i64,
    /// Month, 1–12.
    pub month: i64,
    /// Day of the month, 1–31.
    pub day: i64,
    /// Hour, 0–23.
    pub hour: i64,
    /// Minute, 0–59.
    pub minute: i64,
    /// Second, 0–60.
    pub second: i64,
}

impl Utc {
    /// The calendar time of Unix seconds `secs`.
    pub fn from_unix(secs: i64) -> Self {
        let (days, of_day) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        Self {
            year: yoe + era * 400 + i64::from(month <= 2),
            month,
            day,
            hour: of_day / 3600,
            minute: of_day % 3600 / 60,
            second: of_day % 60,
        }
    }

    /// Unix seconds of this time.
    pub fn to_unix(self) -> i64 {
        let y = if self.month <= 2 {
            self.year - 1
        } else {
            self.year
        };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (self.month + 9) % 12;
        let doy = (153 * mp + 2) / 5 + self.day - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468;
        days * 86_400 + self.hour * 3600 + self.minute * 60 + self.second
    }

    /// `2026-12-01T12:34:56Z`, as GitHub writes times.
    pub fn rfc3339(self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }

    /// `20261201123456`: the digits of the time, as a dev version's number.
    pub fn digits(self) -> String {
        format!(
            "{:04}{:02}{:02}{:02}{:02}{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// `2026-12-01 12:34:56 UTC`, for people.
impl fmt::Display for Utc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// Unix seconds of an RFC 3339 time (`2026-12-01T12:34:56Z`, `…+02:00`, fractions ignored, `T`
/// or a space between date and time); the error says what does not read.
pub fn parse_rfc3339(text: &str) -> Result<i64, &'static str> {
    let s = text.trim();
    let b = s.as_bytes();
    let at = |i: usize, allowed: &[u8]| b.get(i).is_some_and(|c| allowed.contains(c));
    if b.len() < 19
        || !(at(4, b"-") && at(7, b"-") && at(10, b"Tt ") && at(13, b":") && at(16, b":"))
    {
        return Err("expected `YYYY-MM-DDTHH:MM:SS`");
    }
    let num = |a: usize, z: usize| -> Result<i64, &'static str> {
        let part = &s[a..z];
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().map_err(|_| "a number is out of range")
        } else {
            Err("a digit was expected")
        }
    };
    let time = Utc {
        year: num(0, 4)?,
        month: num(5, 7)?,
        day: num(8, 10)?,
        hour: num(11, 13)?,
        minute: num(14, 16)?,
        second: num(17, 19)?,
    };
    if !(1..=12).contains(&time.month)
        || !(1..=31).contains(&time.day)
        || time.hour > 23
        || time.minute > 59
        || time.second > 60
    {
        return Err("a field is out of range");
    }
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        rest = &frac[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first() {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => return Err("no `Z` or `±HH:MM` offset"),
            };
            let hm = rest[1..].replace(':', "");
            if hm.len() != 4 || !hm.bytes().all(|c| c.is_ascii_digit()) {
                return Err("the offset is not `±HH:MM`");
            }
            let h: i64 = hm[..2].parse().unwrap_or(0);
            let m: i64 = hm[2..].parse().unwrap_or(0);
            sign * (h * 3600 + m * 60)
        }
    };
    Ok(time.to_unix() - offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_times_both_ways() {
        for (secs, text) in [
            (0, "1970-01-01T00:00:00Z"),
            (951_782_400, "2000-02-29T00:00:00Z"),
            (1_709_210_096, "2024-02-29T12:34:56Z"),
            (1_796_128_496, "2026-12-01T12:34:56Z"),
            (-86_400, "1969-12-31T00:00:00Z"),
        ] {
            assert_eq!(Utc::from_unix(secs).rfc3339(), text);
            assert_eq!(parse_rfc3339(text), Ok(secs));
        }
        assert_eq!(
            Utc::from_unix(1_700_003_600).to_string(),
            "2023-11-14 23:13:20 UTC"
        );
        assert_eq!(Utc::from_unix(1_796_128_496).digits(), "20261201123456");
    }

    #[test]
    fn every_day_of_four_centuries_round_trips() {
        let start = parse_rfc3339("1900-01-01T00:00:00Z").unwrap();
        let mut previous = Utc::from_unix(start - 86_400);
        for day in 0..146_097 {
            let secs = start + day * 86_400;
            let t = Utc::from_unix(secs);
            assert_eq!(t.to_unix(), secs);
            assert!(t > previous);
            previous = t;
        }
    }

    #[test]
    fn offsets_fractions_and_refusals() {
        assert_eq!(
            parse_rfc3339("2026-12-01T13:34:56.123+01:00"),
            Ok(1_796_128_496)
        );
        assert_eq!(
            parse_rfc3339("2026-12-01 05:34:56-07:00"),
            Ok(1_796_128_496)
        );
        assert_eq!(
            parse_rfc3339("yesterday"),
            Err("expected `YYYY-MM-DDTHH:MM:SS`")
        );
        assert_eq!(
            parse_rfc3339("2026-13-01T00:00:00Z"),
            Err("a field is out of range")
        );
        assert_eq!(
            parse_rfc3339("2026-12-01T00:00:00"),
            Err("no `Z` or `±HH:MM` offset")
        );
    }
}
