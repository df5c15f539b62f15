//! The pure domain core. Nothing in here imports the Workers runtime; every
//! function that depends on "now" takes it as an argument.

pub mod cron;
pub mod health;
pub mod reply;
pub mod route;
pub mod time;
