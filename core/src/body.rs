//! How much of a request body to read, keep and accept, as arithmetic over
//! chunk sizes: the adapter moves the bytes, this decides.
//!
//! An over-limit body is still read to its end before the 413 goes out: the
//! runtime (workerd's HTTP server, and the proxy `wrangler dev` puts in front
//! of it) gives up on a body the Worker left unread and closes the
//! connection, which resets it under a client still sending, and the client
//! loses the answer (docs/http.md).

/// The most a body is read before answering, kept or not. 100 MB is what
/// Cloudflare's edge lets through on the Free and Pro plans (it refuses
/// larger bodies itself); beyond this the answer goes out at once.
pub const MAX_DRAINED_BYTES: usize = 100_000_000;

/// One kind of request's limits: its first `keep` bytes are kept, and a body
/// of up to `accept` bytes is accepted (the rest of it dropped).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BodyLimits {
    pub keep: usize,
    pub accept: usize,
}

/// How to read a body, from its declared `Content-Length`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyStart {
    /// Declared larger than anything read before answering: too large, now.
    TooLarge,
    /// Known to fit what is kept: one read, cheaper than chunk by chunk.
    Whole,
    /// Chunk by chunk, through a `BodyTally`.
    Chunks,
}

/// How a body read to its end turned out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyEnd {
    /// Accepted; `cut` when bytes past `keep` were dropped.
    Accepted {
        cut: bool,
    },
    TooLarge,
}

impl BodyLimits {
    pub fn start(self, declared: Option<usize>) -> BodyStart {
        match declared {
            Some(length) if length > MAX_DRAINED_BYTES => BodyStart::TooLarge,
            Some(length) if length <= self.keep => BodyStart::Whole,
            _ => BodyStart::Chunks,
        }
    }
}

/// The count of a body read chunk by chunk.
#[derive(Clone, Copy, Debug)]
pub struct BodyTally {
    limits: BodyLimits,
    kept: usize,
    total: usize,
}

impl BodyTally {
    pub fn new(limits: BodyLimits) -> Self {
        BodyTally { limits, kept: 0, total: 0 }
    }

    /// Counts a chunk of `length` bytes: `Some(n)` to keep its first `n`
    /// bytes and read on, `None` once the body is past `MAX_DRAINED_BYTES`
    /// (stop reading: too large).
    pub fn take(&mut self, length: usize) -> Option<usize> {
        let room = self.limits.keep.saturating_sub(self.kept).min(length);
        self.kept += room;
        self.total = self.total.saturating_add(length);
        (self.total <= MAX_DRAINED_BYTES).then_some(room)
    }

    /// At the body's end.
    pub fn end(&self) -> BodyEnd {
        if self.total > self.limits.accept {
            BodyEnd::TooLarge
        } else {
            BodyEnd::Accepted { cut: self.total > self.kept }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: BodyLimits = BodyLimits { keep: 10, accept: 100 };

    #[test]
    fn the_declared_length_decides_how_to_read() {
        assert_eq!(LIMITS.start(None), BodyStart::Chunks, "chunked: the size is known only by reading");
        assert_eq!(LIMITS.start(Some(0)), BodyStart::Whole);
        assert_eq!(LIMITS.start(Some(10)), BodyStart::Whole);
        assert_eq!(LIMITS.start(Some(11)), BodyStart::Chunks);
        // Over the limit but still drained, so that the client gets its 413.
        assert_eq!(LIMITS.start(Some(101)), BodyStart::Chunks);
        assert_eq!(LIMITS.start(Some(MAX_DRAINED_BYTES)), BodyStart::Chunks);
        assert_eq!(LIMITS.start(Some(MAX_DRAINED_BYTES + 1)), BodyStart::TooLarge);
    }

    #[test]
    fn the_first_bytes_are_kept_and_the_rest_counted() {
        let mut tally = BodyTally::new(LIMITS);
        assert_eq!(tally.take(6), Some(6));
        assert_eq!(tally.take(6), Some(4));
        assert_eq!(tally.take(50), Some(0));
        assert_eq!(tally.end(), BodyEnd::Accepted { cut: true });
        let mut small = BodyTally::new(LIMITS);
        assert_eq!(small.take(10), Some(10));
        assert_eq!(small.end(), BodyEnd::Accepted { cut: false });
        assert_eq!(BodyTally::new(LIMITS).end(), BodyEnd::Accepted { cut: false }, "no body");
    }

    #[test]
    fn an_over_limit_body_is_read_to_its_end_up_to_the_drain_bound() {
        let mut tally = BodyTally::new(LIMITS);
        assert_eq!(tally.take(100), Some(10));
        assert_eq!(tally.end(), BodyEnd::Accepted { cut: true }, "exactly the limit");
        assert_eq!(tally.take(1), Some(0), "past the limit: read on");
        assert_eq!(tally.end(), BodyEnd::TooLarge);
        assert_eq!(tally.take(MAX_DRAINED_BYTES - 101), Some(0), "up to the bound");
        assert_eq!(tally.take(1), None, "past the bound: stop");
        assert_eq!(tally.end(), BodyEnd::TooLarge);
    }
}
