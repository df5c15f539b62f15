//! The isolate's ping cache (`crate::domain::ping_cache`), kept for the
//! isolate's lifetime.

use crate::domain::ids::Uuid;
use crate::domain::ping_cache::{PingCache, PingTemplate, DEFAULT_BUDGET_BYTES};
use std::cell::RefCell;

thread_local! {
    static CACHE: RefCell<PingCache> = RefCell::new(PingCache::new(DEFAULT_BUDGET_BYTES));
}

pub fn get(uuid: &Uuid) -> Option<PingTemplate> {
    CACHE.with(|cache| cache.borrow().get(uuid).cloned())
}

pub fn remember(template: PingTemplate) {
    CACHE.with(|cache| cache.borrow_mut().remember(template));
}

pub fn forget(uuid: &Uuid) {
    CACHE.with(|cache| cache.borrow_mut().forget(uuid));
}
