//! What goes wrong that the client cannot fix: the answer is 503, so that
//! clients (and `curl --retry`) try again, and the cause is logged under
//! the handler's name.

use super::{Level, Platform};
use crate::domain::ids::IdError;
use crate::domain::reply::Reply;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error(transparent)]
    Storage(#[from] StoreError),
    #[error("no random numbers: {0}")]
    Randomness(#[from] IdError),
    /// Contention, not a fault: the check kept changing under this write
    /// for the whole retry budget.
    #[error("the check kept changing while this request was saving it; gave up after the retry budget")]
    Contended,
}

impl Failure {
    /// Logs the failure (contention as a warning: nothing is broken) and
    /// answers 503, as JSON or (for pings) plain text.
    pub fn reply(&self, handler: &str, plain_text: bool, platform: &impl Platform) -> Reply {
        let level = if matches!(self, Failure::Contended) { Level::Warn } else { Level::Error };
        platform.log(level, &format!("{handler}: {self}"));
        let message = match self {
            Failure::Storage(_) => "storage unavailable",
            Failure::Randomness(_) => "temporarily unavailable",
            Failure::Contended => "busy",
        };
        let reply =
            if plain_text { Reply::text(503, message) } else { Reply::error(503, format!("{message}, try again")) };
        reply.with_header("Retry-After", "1")
    }
}
