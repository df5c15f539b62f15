//! The output tail that `edgebeat run` sends as the ping body: a bounded
//! buffer of the last bytes a command wrote, and how it is cut to fit the
//! server's `Ping-Body-Limit`. Pure.

use std::collections::VecDeque;

/// The body limit assumed when the server did not say (healthchecks.io's and edgebeat's default).
pub const DEFAULT_BODY_LIMIT: usize = 100_000;

/// Keeps the last `capacity` bytes written to it and counts them all.
#[derive(Debug)]
pub struct Tail {
    capacity: usize,
    bytes: VecDeque<u8>,
    total: u64,
}

impl Tail {
    pub fn new(capacity: usize) -> Tail {
        Tail { capacity, bytes: VecDeque::with_capacity(capacity.min(1 << 20)), total: 0 }
    }

    pub fn push(&mut self, chunk: &[u8]) {
        self.total += chunk.len() as u64;
        let chunk = &chunk[chunk.len().saturating_sub(self.capacity)..];
        let overflow = (self.bytes.len() + chunk.len()).saturating_sub(self.capacity);
        self.bytes.drain(..overflow);
        self.bytes.extend(chunk);
    }

    /// How many bytes were written in all.
    pub fn total(&self) -> u64 {
        self.total
    }

    pub fn kept(&self) -> Vec<u8> {
        self.bytes.iter().copied().collect()
    }
}

/// Where text starting at `bytes[i..]` begins with a whole UTF-8 character.
fn char_start(bytes: &[u8], mut i: usize) -> usize {
    // At most three continuation bytes (10xxxxxx) precede a character's first byte.
    let limit = (i + 3).min(bytes.len());
    while i < limit && (bytes[i] & 0xC0) == 0x80 {
        i += 1;
    }
    i
}

/// The ping body: the end of the output (whole characters, from a line start
/// when one is near), a note of what was cut, and `footer`; never longer
/// than `limit` bytes.
pub fn ping_body(kept: &[u8], total: u64, footer: &str, limit: usize) -> Vec<u8> {
    let dropped_before = total.saturating_sub(kept.len() as u64);
    let header_for = |dropped: u64| {
        if dropped > 0 {
            format!("[edgebeat: {dropped} earlier bytes of output cut]\n")
        } else {
            String::new()
        }
    };
    // The header can only grow by a few digits; reserve for the largest it can be.
    let reserve = header_for(total.max(1)).len() + footer.len();
    let room = limit.saturating_sub(reserve);
    let mut start = kept.len().saturating_sub(room);
    if start > 0 || dropped_before > 0 {
        start = char_start(kept, start);
        // Prefer to begin at a line start if one is close.
        if let Some(newline) = kept[start..].iter().take(200).position(|b| *b == b'\n') {
            if start + newline + 1 < kept.len() {
                start += newline + 1;
            }
        }
    }
    let dropped = dropped_before + start as u64;
    let mut body = header_for(dropped).into_bytes();
    body.extend_from_slice(&kept[start..]);
    if !footer.is_empty() && !body.is_empty() && body.last() != Some(&b'\n') {
        body.push(b'\n');
    }
    body.extend_from_slice(footer.as_bytes());
    if body.len() > limit {
        // Only with a limit smaller than the notes themselves: keep the end.
        let from = char_start(&body, body.len() - limit);
        body.drain(..from);
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tail_keeps_the_last_bytes_and_counts_all() {
        let mut tail = Tail::new(5);
        tail.push(b"abc");
        tail.push(b"defg");
        assert_eq!(tail.kept(), b"cdefg");
        tail.push(b"0123456789");
        assert_eq!(tail.kept(), b"56789");
        assert_eq!(tail.total(), 17);
        let mut empty = Tail::new(0);
        empty.push(b"x");
        assert_eq!(empty.kept(), b"");
    }

    #[test]
    fn short_output_is_sent_whole_with_the_footer() {
        let body = ping_body(b"hello\nworld\n", 12, "[exit status 0]", 1000);
        assert_eq!(String::from_utf8_lossy(&body), "hello\nworld\n[exit status 0]");
        let body = ping_body(b"no newline", 10, "[f]", 1000);
        assert_eq!(String::from_utf8_lossy(&body), "no newline\n[f]");
        assert_eq!(ping_body(b"", 0, "", 10), b"");
    }

    #[test]
    fn long_output_is_cut_at_a_line_start_within_the_limit() {
        let output: String = (0..1000).map(|i| format!("line {i}\n")).collect();
        let body = ping_body(output.as_bytes(), output.len() as u64, "[exit status 1]", 200);
        let text = String::from_utf8(body).unwrap();
        assert!(text.len() <= 200, "{}", text.len());
        assert!(text.starts_with("[edgebeat: "), "{text}");
        assert!(text.ends_with("line 999\n[exit status 1]"), "{text}");
        let second = text.lines().nth(1).unwrap();
        assert!(second.starts_with("line ") && second[5..].parse::<u32>().is_ok(), "cut mid-line: {second:?}");
        // The header counts exactly what was dropped.
        let dropped: u64 = text[11..].split(' ').next().unwrap().parse().unwrap();
        let kept_lines = text.lines().skip(1).take_while(|l| l.starts_with("line")).map(|l| l.len() + 1).sum::<usize>();
        assert_eq!(dropped as usize + kept_lines, output.len());
    }

    #[test]
    fn bytes_cut_before_the_buffer_are_counted() {
        let body = ping_body(b"xyz\nend\n", 1_000_008, "", 1000);
        assert_eq!(String::from_utf8_lossy(&body), "[edgebeat: 1000004 earlier bytes of output cut]\nend\n");
    }

    #[test]
    fn never_splits_a_character_and_never_exceeds_the_limit() {
        let output = "ä".repeat(500);
        for limit in [0, 1, 2, 3, 10, 57, 58, 59, 100, 999, 5000] {
            let body = ping_body(output.as_bytes(), output.len() as u64, "[exit status 2]", limit);
            assert!(body.len() <= limit, "limit {limit}: {}", body.len());
            assert!(String::from_utf8(body.clone()).is_ok(), "limit {limit}: split a character");
        }
    }
}
