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
}
