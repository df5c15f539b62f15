//! A small cache of answers in memory, by key, each until it expires: the
//! test platform's cache, and on Workers the isolate's own layer under the
//! edge cache (which does nothing on `*.workers.dev`). Bounded: past
//! `capacity` entries, the one stored first goes.

use super::platform::CachedAnswer;
use crate::domain::time::Timestamp;
use std::cell::RefCell;

pub struct MemoryCache {
    capacity: usize,
    /// Key, answer, when it expires; the oldest first.
    entries: RefCell<Vec<(String, CachedAnswer, Timestamp)>>,
}

impl MemoryCache {
    pub const fn new(capacity: usize) -> Self {
        MemoryCache { capacity, entries: RefCell::new(Vec::new()) }
    }

    /// The answer under `key` unless it expired by `now`.
    pub fn get(&self, key: &str, now: Timestamp) -> Option<CachedAnswer> {
        let mut entries = self.entries.borrow_mut();
        entries.retain(|(_, _, expires)| *expires > now);
        entries.iter().find(|(k, _, _)| k == key).map(|(_, answer, _)| answer.clone())
    }

    /// Keeps `answer` under `key` until `ttl_secs` after it was stored.
    pub fn put(&self, key: &str, answer: &CachedAnswer, ttl_secs: i64) {
        let mut entries = self.entries.borrow_mut();
        entries.retain(|(k, _, _)| k != key);
        if self.capacity == 0 {
            return;
        }
        while entries.len() >= self.capacity {
            entries.remove(0);
        }
        entries.push((key.to_owned(), answer.clone(), answer.stored_at.plus_secs(ttl_secs)));
    }

    pub fn delete(&self, key: &str) {
        self.entries.borrow_mut().retain(|(k, _, _)| k != key);
    }

    pub fn len(&self) -> usize {
        self.entries.borrow().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(body: &str, at: i64) -> CachedAnswer {
        CachedAnswer {
            status: 200,
            content_type: "text/plain".into(),
            body: body.as_bytes().to_vec(),
            stored_at: Timestamp::from_secs(at),
        }
    }

    #[test]
    fn entries_expire_are_replaced_forgotten_and_bounded() {
        let cache = MemoryCache::new(2);
        cache.put("a", &answer("1", 100), 60);
        assert_eq!(cache.get("a", Timestamp::from_secs(159)).map(|a| a.body), Some(b"1".to_vec()));
        assert_eq!(cache.get("a", Timestamp::from_secs(160)), None, "expired");
        assert!(cache.is_empty(), "and dropped");
        cache.put("a", &answer("1", 200), 60);
        cache.put("a", &answer("2", 201), 60);
        assert_eq!(cache.len(), 1, "replaced");
        cache.put("b", &answer("3", 201), 60);
        cache.put("c", &answer("4", 201), 60);
        assert_eq!(cache.get("a", Timestamp::from_secs(202)), None, "the first stored made room");
        assert!(cache.get("c", Timestamp::from_secs(202)).is_some());
        cache.delete("c");
        assert_eq!(cache.get("c", Timestamp::from_secs(202)), None);
        let none = MemoryCache::new(0);
        none.put("a", &answer("1", 1), 60);
        assert!(none.is_empty());
    }
}
