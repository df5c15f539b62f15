//! The databases of one deployment, and which one a request goes to
//! (`crate::domain::shard`: read from the identifiers alone).

use crate::domain::ids::Uuid;
use crate::domain::shard::{shard_of_key, shard_of_uuid};
use crate::store::{Store, Usage};

/// One or more databases; database 0 is the deployment's first (`DB`).
pub struct Shards<S> {
    stores: Vec<S>,
}

impl<S: Store> Shards<S> {
    /// At least one database.
    pub fn new(first: S, more: Vec<S>) -> Self {
        let mut stores = vec![first];
        stores.extend(more);
        Shards { stores }
    }

    pub fn len(&self) -> usize {
        self.stores.len()
    }

    pub fn is_empty(&self) -> bool {
        false
    }

    /// Database `n`, if the deployment binds it.
    pub fn get(&self, n: usize) -> Option<&S> {
        self.stores.get(n)
    }

    /// The first database.
    pub fn first(&self) -> &S {
        &self.stores[0]
    }

    /// The database a check or project UUID names (`None`: a database this
    /// deployment does not bind, so nothing of it exists here).
    pub fn for_uuid(&self, uuid: &Uuid) -> Option<(usize, &S)> {
        let n = shard_of_uuid(uuid);
        self.get(n).map(|s| (n, s))
    }

    /// The database a key (API, ping or badge key) names.
    pub fn for_key(&self, key: &str) -> Option<(usize, &S)> {
        let n = shard_of_key(key);
        self.get(n).map(|s| (n, s))
    }

    pub fn all(&self) -> impl Iterator<Item = (usize, &S)> {
        self.stores.iter().enumerate()
    }

    /// What every database read and wrote for this request.
    pub fn usage(&self) -> Usage {
        self.stores.iter().map(Store::usage).fold(Usage::default(), |a, b| Usage {
            rows_read: a.rows_read + b.rows_read,
            rows_written: a.rows_written + b.rows_written,
        })
    }
}
