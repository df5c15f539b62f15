//! Durations as people write them in files and annotations: whole seconds
//! (`3600`) or a number with a unit, possibly several (`90s`, `15m`, `1h30m`,
//! `2d`, `1w`). Pure.

/// Parses a duration into whole seconds.
pub fn parse_seconds(text: &str) -> Result<i64, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("empty duration".into());
    }
    if let Ok(seconds) = text.parse::<i64>() {
        return if seconds < 0 { Err(format!("negative duration {text:?}")) } else { Ok(seconds) };
    }
    let mut total: i64 = 0;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return Err(format!("invalid duration {text:?}: use seconds or units s, m, h, d, w (e.g. 1h30m)")),
        };
        let value: i64 =
            number.parse().map_err(|_| format!("invalid duration {text:?}: a unit needs a number before it"))?;
        number.clear();
        total = value
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| format!("duration {text:?} is too large"))?;
    }
    if !number.is_empty() {
        return Err(format!("invalid duration {text:?}: the last number has no unit"));
    }
    Ok(total)
}

/// Seconds in the largest units that divide them exactly: `5400` is `1h30m`.
pub fn format_seconds(seconds: i64) -> String {
    if seconds <= 0 {
        return format!("{seconds}s");
    }
    let mut rest = seconds;
    let mut out = String::new();
    for (unit, size) in [("w", 604_800), ("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] {
        if rest >= size {
            out.push_str(&format!("{}{unit}", rest / size));
            rest %= size;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_plain_seconds_and_units() {
        assert_eq!(parse_seconds("3600"), Ok(3600));
        assert_eq!(parse_seconds(" 90s "), Ok(90));
        assert_eq!(parse_seconds("15m"), Ok(900));
        assert_eq!(parse_seconds("1h30m"), Ok(5400));
        assert_eq!(parse_seconds("2d"), Ok(172_800));
        assert_eq!(parse_seconds("1w1d"), Ok(691_200));
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        for bad in ["", "-5", "h", "10x", "1h30", "1.5h", "99999999999999999999w"] {
            assert!(parse_seconds(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn formats_in_exact_units() {
        assert_eq!(format_seconds(5400), "1h30m");
        assert_eq!(format_seconds(86_400), "1d");
        assert_eq!(format_seconds(61), "1m1s");
        assert_eq!(format_seconds(0), "0s");
        for s in [60, 3600, 5400, 90_061, 31_536_000] {
            assert_eq!(parse_seconds(&format_seconds(s)), Ok(s));
        }
    }
}
