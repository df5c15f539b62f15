//! Which database a project lives in, read from the identifiers alone.
//!
//! A deployment binds one or more D1 databases; database 0 (`DB`) is the
//! one every deployment had before sharding. A project lives in exactly one
//! database, and every identifier that names it or one of its things
//! carries that database's number, so that a request reaches its database
//! in one hop, without a lookup:
//! - check and project UUIDs: database 0 gets random version 4 UUIDs, as
//!   before; database `n >= 1` gets version 8 UUIDs (RFC 9562's custom
//!   format) whose byte 6 is `0x8E` and byte 7 is `n`, with 110 random bits;
//! - keys (API keys, ping keys, badge keys): on database `n >= 1` the last
//!   two characters are `_` and `n` in base 36; keys never otherwise contain
//!   `_`, so every key made before sharding names database 0.
//!
//! So a deployment that never binds a second database sees no change at
//! all, and everything made before sharding keeps answering from database 0.

use crate::ids::{IdError, KeyKind, Uuid};

/// The most databases one deployment binds (one base-36 digit, 1..=35, plus 0).
pub const MAX_SHARDS: usize = 36;

const MARKER: u8 = 0x8E;
const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";

/// The database a UUID made by `uuid_on` names; 0 for any other UUID.
pub fn shard_of_uuid(uuid: &Uuid) -> usize {
    let bytes = uuid.bytes();
    if bytes[6] == MARKER && (bytes[8] & 0xc0) == 0x80 {
        usize::from(bytes[7])
    } else {
        0
    }
}

/// A fresh UUID for a thing on database `shard`.
pub fn uuid_on(shard: usize) -> Result<Uuid, IdError> {
    let random = Uuid::random()?;
    if shard == 0 {
        return Ok(random);
    }
    let mut bytes = random.bytes();
    bytes[6] = MARKER;
    bytes[7] = shard.min(MAX_SHARDS - 1) as u8;
    Ok(Uuid::from_bytes(bytes))
}

/// The database a key made by `key_on` names; 0 for any other key.
pub fn shard_of_key(key: &str) -> usize {
    let bytes = key.as_bytes();
    match bytes {
        [.., b'_', digit] if bytes.len() > 2 => DIGITS.iter().position(|d| d == digit).unwrap_or(0),
        _ => 0,
    }
}

/// Marks a freshly made random key (of at least three characters, without
/// `_` past any prefix) as living on database `shard`.
pub fn mark_key(key: String, shard: usize) -> String {
    if shard == 0 || key.len() < 3 {
        return key;
    }
    let mut marked = key;
    marked.truncate(marked.len() - 2);
    marked.push('_');
    marked.push(DIGITS[shard.min(MAX_SHARDS - 1)] as char);
    marked
}

/// A fresh key of `kind` on database `shard`.
pub fn key_on(kind: KeyKind, shard: usize) -> Result<String, IdError> {
    Ok(mark_key(kind.generate()?, shard))
}

/// Where a new project goes: the database with the fewest projects, and
/// among equals the newest (the highest number), so that a database added
/// to a deployment takes the new projects until it has caught up, and
/// projects then spread evenly as they come.
pub fn place(projects_per_shard: &[i64]) -> usize {
    projects_per_shard.iter().enumerate().min_by_key(|(i, n)| (**n, std::cmp::Reverse(*i))).map_or(0, |(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::random_token;
    use proptest::prelude::*;

    #[test]
    fn database_zero_keeps_todays_identifiers() {
        for _ in 0..200 {
            let uuid = uuid_on(0).unwrap();
            assert_eq!(uuid.to_string().as_bytes()[14], b'4', "a version 4 UUID: {uuid}");
            assert_eq!(shard_of_uuid(&uuid), 0);
            let key = key_on(KeyKind::ReadWrite, 0).unwrap();
            assert!(!key[4..].contains('_'), "{key}");
            assert_eq!(shard_of_key(&key), 0);
        }
    }

    #[test]
    fn other_databases_are_named_by_their_identifiers() {
        for shard in 1..MAX_SHARDS {
            let uuid = uuid_on(shard).unwrap();
            assert_eq!(shard_of_uuid(&uuid), shard, "{uuid}");
            assert_eq!(Uuid::parse(&uuid.to_string()), Some(uuid), "stays a canonical UUID");
            assert_eq!(uuid.to_string().as_bytes()[14], b'8', "a version 8 UUID: {uuid}");
            for kind in [KeyKind::ReadWrite, KeyKind::ReadOnly, KeyKind::Ping] {
                let key = key_on(kind, shard).unwrap();
                assert_eq!(shard_of_key(&key), shard, "{key}");
                assert_eq!(key.len(), kind.generate().unwrap().len(), "same length as before: {key}");
            }
            assert_eq!(shard_of_key(&mark_key(random_token(24).unwrap(), shard)), shard);
        }
    }

    #[test]
    fn projects_go_to_the_database_with_the_fewest() {
        assert_eq!(place(&[]), 0);
        assert_eq!(place(&[3]), 0);
        assert_eq!(place(&[3, 2, 2]), 2);
        assert_eq!(place(&[2, 2, 3]), 1);
        assert_eq!(place(&[0, 0]), 1);
        assert_eq!(place(&[1, 0]), 1);
        assert_eq!(place(&[0, 1]), 0);
    }

    proptest! {
        #[test]
        fn every_unmarked_key_and_uuid_names_database_zero(text in "[a-zA-Z0-9]{3,40}", bytes in any::<[u8; 16]>()) {
            prop_assert_eq!(shard_of_key(&text), 0);
            let mut v4 = bytes;
            v4[6] = (v4[6] & 0x0f) | 0x40;
            prop_assert_eq!(shard_of_uuid(&Uuid::from_bytes(v4)), 0);
        }
    }
}
