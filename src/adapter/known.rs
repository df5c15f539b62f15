//! Checks this isolate has recently pinged: their configuration, so that the
//! next ping to one of them can be classified and written in one D1 round
//! trip. Only the configuration is trusted, and only at its version: the
//! write that relies on it is conditional on that version (see
//! `store::Guard::IdleUp`), so a stale entry costs a round trip, never a
//! wrong result.

use crate::domain::api::view::CheckRecord;
use crate::domain::ids::Uuid;
use std::cell::RefCell;
use std::collections::HashMap;

/// Enough for every check of a busy deployment; past it the map starts over.
const CAPACITY: usize = 10_000;

thread_local! {
    static KNOWN: RefCell<HashMap<Uuid, CheckRecord>> = RefCell::new(HashMap::new());
}

pub fn get(uuid: &Uuid) -> Option<CheckRecord> {
    KNOWN.with(|known| known.borrow().get(uuid).cloned())
}

pub fn remember(check: &CheckRecord) {
    KNOWN.with(|known| {
        let mut known = known.borrow_mut();
        if known.len() >= CAPACITY && !known.contains_key(&check.uuid) {
            known.clear();
        }
        known.insert(check.uuid, check.clone());
    });
}

pub fn forget(uuid: &Uuid) {
    KNOWN.with(|known| {
        known.borrow_mut().remove(uuid);
    });
}
