//! The Prometheus endpoint's body (text exposition format 0.0.4): exactly
//! healthchecks.io's `hc_*` metrics, so existing scrape configs, dashboards
//! and alert rules keep working, followed by edgebeat's own `edgebeat_*`
//! metrics.
//!
//! `promtool check metrics` parses the output; its only complaints are about
//! healthchecks.io's gauges `hc_checks_total` and `hc_checks_down_total`
//! ("non-counter metrics should not have _total suffix"), kept as they are
//! for compatibility.

use crate::check::{ShownStatus, Tags};
use crate::health::{down_reason, Storage, SweepRecord};
use crate::time::Timestamp;
use std::collections::BTreeSet;

/// What the metrics need to know about one check at the instant of the scrape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckMetrics {
    pub name: String,
    /// Space-separated, as stored.
    pub tags: Tags,
    pub unique_key: String,
    pub status: ShownStatus,
    /// A start signal is pending (`last_start` is set).
    pub started: bool,
    pub last_ping: Option<Timestamp>,
    pub last_duration_ms: Option<i64>,
    pub n_pings: i64,
}

/// A project's checks, in the order they should be listed (by creation),
/// and its notification backlog.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProjectMetrics {
    pub checks: Vec<CheckMetrics>,
    pub notifications_pending: i64,
    pub notifications_failed: i64,
}

/// Escapes a label value: backslash, double quote and newline.
pub fn escape_label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            _ => out.push(c),
        }
    }
    out
}

/// Milliseconds as exact decimal seconds (`1.5`, `1700000000.123`, `3`), with
/// no float rounding.
fn seconds(millis: i64) -> String {
    let sign = if millis < 0 { "-" } else { "" };
    let abs = millis.unsigned_abs();
    let (whole, frac) = (abs / 1000, abs % 1000);
    if frac == 0 {
        return format!("{sign}{whole}");
    }
    let frac = format!("{frac:03}");
    format!("{sign}{whole}.{}", frac.trim_end_matches('0'))
}

/// Appends one metric family: HELP, TYPE and its sample lines.
fn family(out: &mut String, name: &str, kind: &str, help: &str, samples: &[(String, String)]) {
    out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
    for (labels, value) in samples {
        out.push_str(&format!("{name}{labels} {value}\n"));
    }
}

/// A blank line between families, as healthchecks.io writes them.
fn next(out: &mut String) {
    if !out.is_empty() {
        out.push('\n');
    }
}

fn flag(value: bool) -> String {
    String::from(if value { "1" } else { "0" })
}

/// The full body, families separated by blank lines as healthchecks.io does
/// (Prometheus ignores them), ending with a single newline.
pub fn render(metrics: &ProjectMetrics) -> String {
    let checks = &metrics.checks;
    let labels: Vec<String> = checks
        .iter()
        .map(|c| {
            format!(
                r#"{{name="{}", tags="{}", unique_key="{}"}}"#,
                escape_label(&c.name),
                escape_label(c.tags.as_str()),
                escape_label(&c.unique_key)
            )
        })
        .collect();
    let per_check = |value: &dyn Fn(&CheckMetrics) -> Option<String>| -> Vec<(String, String)> {
        checks.iter().zip(&labels).filter_map(|(c, l)| value(c).map(|v| (l.clone(), v))).collect()
    };

    let mut all_tags = BTreeSet::new();
    let mut down_tags = BTreeSet::new();
    for check in checks {
        all_tags.extend(check.tags.iter());
        if check.status == ShownStatus::Down {
            down_tags.extend(check.tags.iter());
        }
    }
    let tag_up: Vec<(String, String)> = all_tags
        .iter()
        .map(|tag| (format!(r#"{{tag="{}"}}"#, escape_label(tag)), flag(!down_tags.contains(tag))))
        .collect();
    let num_down = checks.iter().filter(|c| c.status == ShownStatus::Down).count();

    let mut out = String::new();
    let is = |status: ShownStatus| move |c: &CheckMetrics| Some(flag(c.status == status));

    next(&mut out);
    family(
        &mut out,
        "hc_check_up",
        "gauge",
        "Whether the check is currently up (1 for yes, 0 for no).",
        &per_check(&|c| Some(flag(c.status != ShownStatus::Down))),
    );
    next(&mut out);
    family(
        &mut out,
        "hc_check_started",
        "gauge",
        "Whether the check is currently started (1 for yes, 0 for no).",
        &per_check(&|c| Some(flag(c.started))),
    );
    next(&mut out);
    family(
        &mut out,
        "hc_check_grace",
        "gauge",
        "Whether the check is currently in the grace period (1 for yes, 0 for no).",
        &per_check(&is(ShownStatus::Grace)),
    );
    next(&mut out);
    family(
        &mut out,
        "hc_check_paused",
        "gauge",
        "Whether the check is currently paused (1 for yes, 0 for no).",
        &per_check(&is(ShownStatus::Paused)),
    );
    next(&mut out);
    family(&mut out, "hc_tag_up", "gauge", "Whether all checks with this tag are up (1 for yes, 0 for no).", &tag_up);
    next(&mut out);
    family(
        &mut out,
        "hc_checks_total",
        "gauge",
        "The total number of checks.",
        &[(String::new(), checks.len().to_string())],
    );
    next(&mut out);
    family(
        &mut out,
        "hc_checks_down_total",
        "gauge",
        "The number of checks currently down.",
        &[(String::new(), num_down.to_string())],
    );

    next(&mut out);
    family(
        &mut out,
        "edgebeat_check_last_ping_timestamp_seconds",
        "gauge",
        "When the check last received a ping, as Unix time in seconds.",
        &per_check(&|c| c.last_ping.map(|t| seconds(t.millis()))),
    );
    next(&mut out);
    family(
        &mut out,
        "edgebeat_check_last_duration_seconds",
        "gauge",
        "How long the check's last measured run took, from its start signal to the ping that ended it, in seconds.",
        &per_check(&|c| c.last_duration_ms.map(seconds)),
    );
    next(&mut out);
    family(
        &mut out,
        "edgebeat_check_pings_total",
        "counter",
        "The number of pings the check has received since it was created.",
        &per_check(&|c| Some(c.n_pings.to_string())),
    );
    next(&mut out);
    family(
        &mut out,
        "edgebeat_notifications_pending",
        "gauge",
        "The number of notifications waiting to be delivered.",
        &[(String::new(), metrics.notifications_pending.to_string())],
    );
    next(&mut out);
    family(
        &mut out,
        "edgebeat_notifications_failed",
        "gauge",
        "The number of notifications that could not be delivered and were given up.",
        &[(String::new(), metrics.notifications_failed.to_string())],
    );
    out
}

/// One database of the deployment as the operator's `/metrics` shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DatabaseMetrics {
    /// Its number: 0 for `DB`, n for `DB_<n>`.
    pub database: usize,
    /// Its own `/health` verdict: sweeps recent and pings storable.
    pub up: bool,
    pub pings_storable: bool,
    pub sweeps: SweepRecord,
    /// Projects placed in it (None: they could not be counted).
    pub projects: Option<i64>,
}

impl DatabaseMetrics {
    /// What one database's look found, judged at `now` as `/health` judges it.
    pub fn of(database: usize, sweeps: SweepRecord, storage: &Storage, projects: Option<i64>, now: Timestamp) -> Self {
        DatabaseMetrics {
            database,
            up: down_reason(&sweeps, storage, now).is_none(),
            pings_storable: *storage == Storage::Ok,
            sweeps,
            projects,
        }
    }
}

/// A family's sample lines: labels and value.
type Samples = Vec<(String, String)>;

/// The operator's `/metrics`: every database of the deployment by its
/// `database` label, so that one lagging or failing database shows.
pub fn render_databases(databases: &[DatabaseMetrics]) -> String {
    let label = |d: &DatabaseMetrics| format!(r#"{{database="{}"}}"#, d.database);
    let each = |value: &dyn Fn(&DatabaseMetrics) -> Option<String>| -> Vec<(String, String)> {
        databases.iter().filter_map(|d| value(d).map(|v| (label(d), v))).collect()
    };
    let stat = |value: fn(&crate::health::SweepStats) -> i64| {
        each(&|d: &DatabaseMetrics| d.sweeps.last_stats.as_ref().map(|s| value(s).to_string()))
    };
    let families: [(&str, &str, Samples); 12] = [
        ("edgebeat_databases", "The number of D1 databases the deployment binds.", vec![(String::new(), databases.len().to_string())]),
        (
            "edgebeat_database_up",
            "Whether the database is healthy as /health judges it: a sweep within 3 minutes and pings storable (1 for yes, 0 for no).",
            each(&|d| Some(flag(d.up))),
        ),
        (
            "edgebeat_database_pings_storable",
            "Whether a ping can be stored in the database now (1 for yes, 0 for no).",
            each(&|d| Some(flag(d.pings_storable))),
        ),
        ("edgebeat_database_projects", "The number of projects placed in the database.", each(&|d| d.projects.map(|n| n.to_string()))),
        (
            "edgebeat_database_last_sweep_timestamp_seconds",
            "The scheduled time of the database's last completed sweep, as Unix time in seconds.",
            each(&|d| d.sweeps.last_completed.map(|t| seconds(t.millis()))),
        ),
        ("edgebeat_database_last_sweep_due_checks", "Checks the database's last sweep found due.", stat(|s| s.due_checks)),
        ("edgebeat_database_last_sweep_flips", "Status changes the database's last sweep made.", stat(|s| s.flips)),
        ("edgebeat_database_last_sweep_sent", "Notifications the database's last sweep delivered.", stat(|s| s.sent)),
        (
            "edgebeat_database_last_sweep_unreadable_checks",
            "Due check rows the database's last sweep could not read (skipped and rescheduled).",
            stat(|s| s.unreadable),
        ),
        ("edgebeat_database_last_sweep_rows_read", "Rows the database's last sweep read, by D1's count.", stat(|s| s.total_rows_read)),
        ("edgebeat_database_last_sweep_rows_written", "Rows the database's last sweep wrote, by D1's count.", stat(|s| s.rows_written)),
        (
            "edgebeat_database_last_sweep_error_timestamp_seconds",
            "The scheduled time of the database's last failed sweep, as Unix time in seconds.",
            each(&|d| d.sweeps.last_error.as_ref().map(|(t, _)| seconds(t.millis()))),
        ),
    ];
    let mut out = String::new();
    for (name, help, samples) in &families {
        next(&mut out);
        family(&mut out, name, "gauge", help, samples);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const KEY_B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    const KEY_C: &str = "cccccccccccccccccccccccccccccccccccccccc";

    fn check(name: &str, tags: &str, unique_key: &str, status: ShownStatus) -> CheckMetrics {
        CheckMetrics {
            name: name.into(),
            tags: Tags::parse(tags),
            unique_key: unique_key.into(),
            status,
            started: false,
            last_ping: None,
            last_duration_ms: None,
            n_pings: 0,
        }
    }

    fn fixture() -> ProjectMetrics {
        let mut backups = check("backups", "prod db", KEY_A, ShownStatus::Up);
        backups.started = true;
        backups.last_ping = Some(Timestamp::from_millis(1_700_000_000_250));
        backups.last_duration_ms = Some(61_500);
        backups.n_pings = 42;
        let mut quoted = check("say \"hi\"\\\nnow", "prod  web", KEY_B, ShownStatus::Down);
        quoted.last_ping = Some(Timestamp::from_secs(1_700_000_100));
        quoted.n_pings = 7;
        let paused = check("", "", KEY_C, ShownStatus::Paused);
        ProjectMetrics { checks: vec![backups, quoted, paused], notifications_pending: 2, notifications_failed: 1 }
    }

    #[test]
    fn renders_exactly() {
        let expected = r#"# HELP hc_check_up Whether the check is currently up (1 for yes, 0 for no).
# TYPE hc_check_up gauge
hc_check_up{name="backups", tags="prod db", unique_key="aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"} 1
hc_check_up{name="say \"hi\"\\\nnow", tags="prod  web", unique_key="bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"} 0
hc_check_up{name="", tags="", unique_key="cccccccccccccccccccccccccccccccccccccccc"} 1

# HELP hc_check_started Whether the check is currently started (1 for yes, 0 for no).
# TYPE hc_check_started gauge
hc_check_started{name="backups", tags="prod db", unique_key="aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"} 1
hc_check_started{name="say \"hi\"\\\nnow", tags="prod  web", unique_key="bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"} 0
hc_check_started{name="", tags="", unique_key="cccccccccccccccccccccccccccccccccccccccc"} 0

# HELP hc_check_grace Whether the check is currently in the grace period (1 for yes, 0 for no).
# TYPE hc_check_grace gauge
hc_check_grace{name="backups", tags="prod db", unique_key="aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"} 0
hc_check_grace{name="say \"hi\"\\\nnow", tags="prod  web", unique_key="bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"} 0
hc_check_grace{name="", tags="", unique_key="cccccccccccccccccccccccccccccccccccccccc"} 0

# HELP hc_check_paused Whether the check is currently paused (1 for yes, 0 for no).
# TYPE hc_check_paused gauge
hc_check_paused{name="backups", tags="prod db", unique_key="aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"} 0
hc_check_paused{name="say \"hi\"\\\nnow", tags="prod  web", unique_key="bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"} 0
hc_check_paused{name="", tags="", unique_key="cccccccccccccccccccccccccccccccccccccccc"} 1

# HELP hc_tag_up Whether all checks with this tag are up (1 for yes, 0 for no).
# TYPE hc_tag_up gauge
hc_tag_up{tag="db"} 1
hc_tag_up{tag="prod"} 0
hc_tag_up{tag="web"} 0

# HELP hc_checks_total The total number of checks.
# TYPE hc_checks_total gauge
hc_checks_total 3

# HELP hc_checks_down_total The number of checks currently down.
# TYPE hc_checks_down_total gauge
hc_checks_down_total 1

# HELP edgebeat_check_last_ping_timestamp_seconds When the check last received a ping, as Unix time in seconds.
# TYPE edgebeat_check_last_ping_timestamp_seconds gauge
edgebeat_check_last_ping_timestamp_seconds{name="backups", tags="prod db", unique_key="aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"} 1700000000.25
edgebeat_check_last_ping_timestamp_seconds{name="say \"hi\"\\\nnow", tags="prod  web", unique_key="bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"} 1700000100

# HELP edgebeat_check_last_duration_seconds How long the check's last measured run took, from its start signal to the ping that ended it, in seconds.
# TYPE edgebeat_check_last_duration_seconds gauge
edgebeat_check_last_duration_seconds{name="backups", tags="prod db", unique_key="aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"} 61.5

# HELP edgebeat_check_pings_total The number of pings the check has received since it was created.
# TYPE edgebeat_check_pings_total counter
edgebeat_check_pings_total{name="backups", tags="prod db", unique_key="aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"} 42
edgebeat_check_pings_total{name="say \"hi\"\\\nnow", tags="prod  web", unique_key="bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"} 7
edgebeat_check_pings_total{name="", tags="", unique_key="cccccccccccccccccccccccccccccccccccccccc"} 0

# HELP edgebeat_notifications_pending The number of notifications waiting to be delivered.
# TYPE edgebeat_notifications_pending gauge
edgebeat_notifications_pending 2

# HELP edgebeat_notifications_failed The number of notifications that could not be delivered and were given up.
# TYPE edgebeat_notifications_failed gauge
edgebeat_notifications_failed 1
"#;
        assert_eq!(render(&fixture()), expected);
    }

    #[test]
    fn empty_project() {
        let text = render(&ProjectMetrics::default());
        assert!(text.starts_with(
            "# HELP hc_check_up Whether the check is currently up (1 for yes, 0 for no).\n\
             # TYPE hc_check_up gauge\n\
             \n\
             # HELP hc_check_started"
        ));
        assert!(text.contains("\nhc_checks_total 0\n\n"));
        assert!(text.contains("\nhc_checks_down_total 0\n\n"));
        assert!(text.contains("# TYPE hc_tag_up gauge\n\n# HELP hc_checks_total"));
        assert!(text.ends_with("\nedgebeat_notifications_failed 0\n"));
        assert!(!text.contains("\n\n\n"));
        assert!(!text.contains('{'));
    }

    #[test]
    fn escapes_label_values() {
        assert_eq!(escape_label(r#"a\b"c"#), r#"a\\b\"c"#);
        assert_eq!(escape_label("line\nbreak"), "line\\nbreak");
        assert_eq!(escape_label("tab\tand é"), "tab\tand é");
        let project =
            ProjectMetrics { checks: vec![check("x", "a\"b c\\d", KEY_A, ShownStatus::Up)], ..Default::default() };
        let text = render(&project);
        assert!(text.contains(r#"hc_tag_up{tag="a\"b"} 1"#));
        assert!(text.contains(r#"hc_tag_up{tag="c\\d"} 1"#));
        assert!(text.contains(r#"tags="a\"b c\\d""#));
    }

    #[test]
    fn a_tag_is_down_if_any_of_its_checks_is_down() {
        let project = ProjectMetrics {
            checks: vec![
                check("a", "web prod", KEY_A, ShownStatus::Grace),
                check("b", " prod  db ", KEY_B, ShownStatus::Down),
                check("c", "web", KEY_C, ShownStatus::New),
            ],
            ..Default::default()
        };
        let text = render(&project);
        let tags: Vec<&str> = text.lines().filter(|l| l.starts_with("hc_tag_up{")).collect();
        assert_eq!(tags, [r#"hc_tag_up{tag="db"} 0"#, r#"hc_tag_up{tag="prod"} 0"#, r#"hc_tag_up{tag="web"} 1"#]);
        assert!(text.contains("\nhc_checks_down_total 1\n"));
        // Grace and new checks count as up.
        assert!(text.contains(
            r#"hc_check_up{name="a", tags="web prod", unique_key="aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"} 1"#
        ));
        assert!(text.contains(
            r#"hc_check_grace{name="a", tags="web prod", unique_key="aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"} 1"#
        ));
    }

    #[test]
    fn tags_sort_by_code_point() {
        let project =
            ProjectMetrics { checks: vec![check("a", "b a B é _", KEY_A, ShownStatus::Up)], ..Default::default() };
        let text = render(&project);
        let tags: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("hc_tag_up{tag=\"")).collect();
        assert_eq!(tags, ["B\"} 1", "_\"} 1", "a\"} 1", "b\"} 1", "é\"} 1"]);
    }

    #[test]
    fn every_measured_run_has_a_duration_even_under_a_second() {
        let mut quick = check("quick", "", KEY_A, ShownStatus::Up);
        quick.last_duration_ms = Some(250);
        let mut instant = check("instant", "", KEY_B, ShownStatus::Up);
        instant.last_duration_ms = Some(0);
        let unmeasured = check("unmeasured", "", KEY_C, ShownStatus::Up);
        let text = render(&ProjectMetrics { checks: vec![quick, instant, unmeasured], ..Default::default() });
        let durations: Vec<&str> =
            text.lines().filter(|l| l.starts_with("edgebeat_check_last_duration_seconds{")).collect();
        assert_eq!(
            durations,
            [
                r#"edgebeat_check_last_duration_seconds{name="quick", tags="", unique_key="aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"} 0.25"#,
                r#"edgebeat_check_last_duration_seconds{name="instant", tags="", unique_key="bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"} 0"#,
            ]
        );
    }

    #[test]
    fn seconds_are_exact_decimals() {
        assert_eq!(seconds(0), "0");
        assert_eq!(seconds(3000), "3");
        assert_eq!(seconds(1500), "1.5");
        assert_eq!(seconds(1), "0.001");
        assert_eq!(seconds(1_700_000_000_123), "1700000000.123");
        assert_eq!(seconds(-1500), "-1.5");
        assert_eq!(seconds(i64::MIN), "-9223372036854775.808");
    }

    #[test]
    fn databases_render_exactly_each_by_its_label() {
        use crate::health::SweepStats;
        let now = Timestamp::from_secs(1_700_000_100);
        let swept = SweepRecord {
            last_completed: Some(Timestamp::from_secs(1_700_000_040)),
            last_stats: Some(SweepStats {
                due_checks: 3,
                flips: 2,
                sent: 1,
                rows_read: 3,
                unreadable: 0,
                total_rows_read: 9,
                rows_written: 6,
            }),
            last_error: Some((Timestamp::from_millis(1_699_999_980_500), "D1 query failed".into())),
        };
        let stalled = SweepRecord { last_completed: Some(Timestamp::from_secs(1_699_999_000)), ..swept.clone() };
        let databases = [
            DatabaseMetrics::of(0, swept.clone(), &Storage::Ok, Some(4), now),
            DatabaseMetrics::of(1, stalled, &Storage::Ok, Some(5), now),
            DatabaseMetrics::of(2, swept, &Storage::PingsFailing("disk full".into()), None, now),
            DatabaseMetrics::of(3, SweepRecord::default(), &Storage::Ok, Some(0), now),
        ];
        assert_eq!(databases.iter().map(|d| d.up).collect::<Vec<_>>(), [true, false, false, false]);
        let text = render_databases(&databases);
        let expected_start = r#"# HELP edgebeat_databases The number of D1 databases the deployment binds.
# TYPE edgebeat_databases gauge
edgebeat_databases 4

# HELP edgebeat_database_up Whether the database is healthy as /health judges it: a sweep within 3 minutes and pings storable (1 for yes, 0 for no).
# TYPE edgebeat_database_up gauge
edgebeat_database_up{database="0"} 1
edgebeat_database_up{database="1"} 0
edgebeat_database_up{database="2"} 0
edgebeat_database_up{database="3"} 0

# HELP edgebeat_database_pings_storable Whether a ping can be stored in the database now (1 for yes, 0 for no).
# TYPE edgebeat_database_pings_storable gauge
edgebeat_database_pings_storable{database="0"} 1
edgebeat_database_pings_storable{database="1"} 1
edgebeat_database_pings_storable{database="2"} 0
edgebeat_database_pings_storable{database="3"} 1

# HELP edgebeat_database_projects The number of projects placed in the database.
# TYPE edgebeat_database_projects gauge
edgebeat_database_projects{database="0"} 4
edgebeat_database_projects{database="1"} 5
edgebeat_database_projects{database="3"} 0

# HELP edgebeat_database_last_sweep_timestamp_seconds The scheduled time of the database's last completed sweep, as Unix time in seconds.
# TYPE edgebeat_database_last_sweep_timestamp_seconds gauge
edgebeat_database_last_sweep_timestamp_seconds{database="0"} 1700000040
edgebeat_database_last_sweep_timestamp_seconds{database="1"} 1699999000
edgebeat_database_last_sweep_timestamp_seconds{database="2"} 1700000040

# HELP edgebeat_database_last_sweep_due_checks Checks the database's last sweep found due.
# TYPE edgebeat_database_last_sweep_due_checks gauge
edgebeat_database_last_sweep_due_checks{database="0"} 3
edgebeat_database_last_sweep_due_checks{database="1"} 3
edgebeat_database_last_sweep_due_checks{database="2"} 3
"#;
        assert!(text.starts_with(expected_start), "{text}");
        assert!(text.contains("\nedgebeat_database_last_sweep_rows_written{database=\"0\"} 6\n"), "{text}");
        assert!(text.contains("\nedgebeat_database_last_sweep_rows_read{database=\"2\"} 9\n"), "{text}");
        assert!(text.ends_with(
            "# TYPE edgebeat_database_last_sweep_error_timestamp_seconds gauge\n\
             edgebeat_database_last_sweep_error_timestamp_seconds{database=\"0\"} 1699999980.5\n\
             edgebeat_database_last_sweep_error_timestamp_seconds{database=\"1\"} 1699999980.5\n\
             edgebeat_database_last_sweep_error_timestamp_seconds{database=\"2\"} 1699999980.5\n"
        ));
        assert_eq!(text.matches("# TYPE ").count(), 12);
        assert!(!text.contains("\n\n\n"));
    }
}
