//! Identifiers and secrets: check UUIDs, API and ping keys, and how keys are
//! stored (only as SHA-256 hashes) and compared (in constant time).

use sha1::Sha1;
use sha2::{Digest, Sha256};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("the system random number generator failed: {0}")]
    Random(String),
}

fn random_bytes<const N: usize>() -> Result<[u8; N], IdError> {
    let mut bytes = [0u8; N];
    getrandom::getrandom(&mut bytes).map_err(|e| IdError::Random(e.to_string()))?;
    Ok(bytes)
}

/// A UUID in its canonical lowercase hyphenated form, the only form
/// healthchecks.io routes (anything else in a URL is simply not found).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uuid([u8; 16]);

impl Uuid {
    /// `00000000-0000-4000-8000-000000000000`: stands for no check (a channel
    /// test's alert is about none).
    pub const PLACEHOLDER: Uuid = Uuid([0, 0, 0, 0, 0, 0, 0x40, 0, 0x80, 0, 0, 0, 0, 0, 0, 0]);

    /// A random (version 4) UUID.
    pub fn random() -> Result<Uuid, IdError> {
        let mut bytes = random_bytes::<16>()?;
        bytes[6] = (bytes[6] & 0x0f) | 0x40;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        Ok(Uuid(bytes))
    }

    /// Parses only the canonical lowercase hyphenated form.
    pub fn parse(text: &str) -> Option<Uuid> {
        Uuid::parse_hyphenated(text, false)
    }

    /// Parses the hyphenated form in either case (healthchecks accepts `rid` so).
    pub fn parse_any_case(text: &str) -> Option<Uuid> {
        Uuid::parse_hyphenated(text, true)
    }

    fn parse_hyphenated(text: &str, any_case: bool) -> Option<Uuid> {
        let bytes = text.as_bytes();
        if bytes.len() != 36 {
            return None;
        }
        let mut out = [0u8; 16];
        let mut nibbles = 0;
        for (i, &c) in bytes.iter().enumerate() {
            if matches!(i, 8 | 13 | 18 | 23) {
                if c != b'-' {
                    return None;
                }
                continue;
            }
            let value = match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'f' => c - b'a' + 10,
                b'A'..=b'F' if any_case => c - b'A' + 10,
                _ => return None,
            };
            out[nibbles / 2] |= if nibbles % 2 == 0 { value << 4 } else { value };
            nibbles += 1;
        }
        Some(Uuid(out))
    }

    /// The 16 bytes, in order.
    pub fn bytes(&self) -> [u8; 16] {
        self.0
    }

    pub fn from_bytes(bytes: [u8; 16]) -> Uuid {
        Uuid(bytes)
    }

    pub fn hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl fmt::Display for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let h = self.hex();
        write!(f, "{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
    }
}

impl fmt::Debug for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Uuid({self})")
    }
}

/// The read-only identity of a check, exactly as healthchecks.io computes it
/// (`Check.unique_key`): the hex SHA-1 of the first 16 hex digits of the
/// UUID. Stable, and useless for pinging or changing the check.
pub fn unique_key(check: &Uuid) -> String {
    to_hex(&Sha1::digest(&check.hex().as_bytes()[..16]))
}

const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const LOWER_ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// `len` characters drawn uniformly from `alphabet` (rejection sampling, no modulo bias).
fn random_string(alphabet: &[u8], len: usize) -> Result<String, IdError> {
    let limit = 256 - (256 % alphabet.len());
    let mut out = String::with_capacity(len);
    while out.len() < len {
        for byte in random_bytes::<64>()? {
            if (byte as usize) < limit && out.len() < len {
                out.push(alphabet[byte as usize % alphabet.len()] as char);
            }
        }
    }
    Ok(out)
}

/// The kinds of secret a project has. API keys are 32 characters like
/// healthchecks.io's (`hcw_`/`hcr_` plus 28 random alphanumerics, ~166 bits);
/// ping keys are 22 lowercase alphanumerics (~113 bits), as in slug ping URLs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    ReadWrite,
    ReadOnly,
    Ping,
}

impl KeyKind {
    pub fn generate(self) -> Result<String, IdError> {
        match self {
            KeyKind::ReadWrite => Ok(format!("hcw_{}", random_string(ALNUM, 28)?)),
            KeyKind::ReadOnly => Ok(format!("hcr_{}", random_string(ALNUM, 28)?)),
            KeyKind::Ping => random_string(LOWER_ALNUM, 22),
        }
    }
}

/// Random URL-safe token for things that must be unguessable but are not
/// user credentials (badge keys, flip ids).
pub fn random_token(len: usize) -> Result<String, IdError> {
    random_string(LOWER_ALNUM, len)
}

/// How a key is stored: the hex SHA-256 of the key. Keys are long random
/// strings, so an unsalted fast hash is enough and allows an indexed lookup.
pub fn key_hash(key: &str) -> String {
    to_hex(&Sha256::digest(key.as_bytes()))
}

/// Compares two byte strings in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Compares a presented secret with the expected one by their hashes, so
/// neither content nor length leaks through timing.
pub fn secret_matches(presented: &str, expected: &str) -> bool {
    constant_time_eq(key_hash(presented).as_bytes(), key_hash(expected).as_bytes())
}

pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A request's `checks` field: absent (none), or a list of at most `max`
/// check UUIDs in either case. The error is the message the API shows.
pub fn check_list(value: Option<&serde_json::Value>, max: usize) -> Result<Vec<Uuid>, String> {
    match value {
        None => Ok(Vec::new()),
        Some(serde_json::Value::Array(items)) if items.len() <= max => items
            .iter()
            .map(|item| item.as_str().and_then(Uuid::parse_any_case))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| "checks must be a list of check uuids".to_owned()),
        Some(serde_json::Value::Array(_)) => Err(format!("checks names more than {max} checks")),
        Some(_) => Err("checks is not an array".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_round_trip_in_canonical_form_only() {
        let text = "0f2ea3c4-5b6d-4e7f-8a9b-0c1d2e3f4a5b";
        assert_eq!(Uuid::parse(text).map(|u| u.to_string()), Some(text.to_owned()));
        assert_eq!(Uuid::parse(&text.to_uppercase()), None);
        assert_eq!(Uuid::parse_any_case(&text.to_uppercase()).map(|u| u.to_string()), Some(text.to_owned()));
        assert_eq!(Uuid::parse("0f2ea3c45b6d4e7f8a9b0c1d2e3f4a5b"), None);
        assert_eq!(Uuid::parse("0f2ea3c4-5b6d-4e7f-8a9b-0c1d2e3f4a5g"), None);
        assert_eq!(Uuid::parse("0f2ea3c4-5b6d-4e7f-8a9b+0c1d2e3f4a5b"), None);
    }

    #[test]
    fn random_uuids_are_version_4_and_distinct() {
        let a = Uuid::random().unwrap();
        let b = Uuid::random().unwrap();
        assert_ne!(a, b);
        assert_eq!(&a.to_string()[14..15], "4");
        assert!(matches!(&a.to_string()[19..20], "8" | "9" | "a" | "b"));
    }

    #[test]
    fn keys_have_healthchecks_shapes() {
        let rw = KeyKind::ReadWrite.generate().unwrap();
        let ro = KeyKind::ReadOnly.generate().unwrap();
        let ping = KeyKind::Ping.generate().unwrap();
        assert!(rw.starts_with("hcw_") && rw.len() == 32);
        assert!(ro.starts_with("hcr_") && ro.len() == 32);
        assert_eq!(ping.len(), 22);
        assert!(ping.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
        assert_ne!(KeyKind::ReadWrite.generate().unwrap(), rw);
    }

    #[test]
    fn unique_key_is_healthchecks_sha1_of_the_first_half_of_the_hex() {
        // Python: hashlib.sha1(uuid.UUID(text).hex[:16].encode()).hexdigest()
        let cases = [
            ("0f2ea3c4-5b6d-4e7f-8a9b-0c1d2e3f4a5b", "bc8c7a2d7f29edc5f218f4c759485341f79c7a56"),
            ("00000000-0000-4000-8000-000000000000", "07c99f22ce44ac16c776ebcecbb911799bcc675c"),
        ];
        for (uuid, key) in cases {
            assert_eq!(unique_key(&Uuid::parse(uuid).unwrap()), key, "{uuid}");
        }
    }

    #[test]
    fn secrets_compare_by_value() {
        assert!(secret_matches("token", "token"));
        assert!(!secret_matches("token", "tokem"));
        assert!(!secret_matches("", "token"));
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
