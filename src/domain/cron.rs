//! Unix 5-field cron schedules evaluated in an IANA time zone (being written).
