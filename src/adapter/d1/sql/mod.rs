//! The D1 store's SQL as text and arguments, without the Workers runtime:
//! `crate::adapter::d1` binds and runs these statements on D1, and the
//! native tests (`tests/d1_sqlite.rs`) run the very same ones on SQLite.
//!
//! - `rows`: the check row (its columns, reading it back, writing its
//!   configuration and state);
//! - `plan`: a check plan or a channel plan as one batch of conditional
//!   statements;
//! - `people`: members, the log of changes, deleting a project, new keys;
//! - `queries`: the texts of the reads whose cost matters (the sweep's due
//!   checks, the outbox's due notifications and its claim);
//! - `windows`: reading maintenance windows, one project's or several at
//!   once, and reading a row back.

pub mod people;
pub mod plan;
pub mod queries;
pub mod rows;
pub mod status_pages;
pub mod windows;

use crate::domain::time::Timestamp;

/// A value bound to a statement. D1 takes integers as JavaScript numbers
/// (it rejects BigInt), exact below 2^53, which every stored integer is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Arg {
    Null,
    Int(i64),
    Text(String),
    Blob(Vec<u8>),
}

impl Arg {
    pub fn text(value: &str) -> Arg {
        Arg::Text(value.to_owned())
    }

    pub fn opt_text(value: Option<&str>) -> Arg {
        value.map_or(Arg::Null, Arg::text)
    }

    pub fn time(value: Timestamp) -> Arg {
        Arg::Int(value.millis())
    }

    pub fn opt_time(value: Option<Timestamp>) -> Arg {
        value.map_or(Arg::Null, Arg::time)
    }

    pub fn opt_int(value: Option<i64>) -> Arg {
        value.map_or(Arg::Null, Arg::Int)
    }

    pub fn flag(value: bool) -> Arg {
        Arg::Int(i64::from(value))
    }
}

/// One SQL statement with its arguments (`?1`, `?2`, ... in order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    pub sql: String,
    pub args: Vec<Arg>,
}

impl Statement {
    pub fn new(sql: impl Into<String>, args: Vec<Arg>) -> Statement {
        Statement { sql: sql.into(), args }
    }
}

/// A SQL string literal of `text` (quotes doubled), for conditions written
/// into a statement's text: ids and keys the store made, never free input,
/// but quoted safely all the same.
pub fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// `IS <value>` operand: a number or NULL.
fn is_int(value: Option<i64>) -> String {
    value.map_or_else(|| "NULL".to_owned(), |v| v.to_string())
}

fn is_time(value: Option<Timestamp>) -> String {
    is_int(value.map(Timestamp::millis))
}
