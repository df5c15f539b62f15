//! edgebeat's pure domain core. Nothing in here imports the Workers runtime; every
//! function that depends on "now" takes it as an argument.

pub mod access;
pub mod alert;
pub mod alertmanager;
pub mod api;
pub mod audit;
pub mod badge;
pub mod body;
pub mod channel;
pub mod channels;
pub mod check;
pub mod contention;
pub mod cron;
pub mod cronjob;
pub mod decide;
pub mod destination;
pub mod duration;
pub mod health;
pub mod history;
pub mod ids;
pub mod mail;
pub mod maintenance;
pub mod metrics;
pub mod oncalendar;
pub mod outbox;
pub mod ping;
pub mod ping_cache;
pub mod plan;
pub mod reply;
pub mod route;
pub mod routing;
pub mod schedule_words;
pub mod settings;
pub mod shard;
pub mod status_page;
pub mod time;
