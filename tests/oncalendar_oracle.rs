//! Differential test of `edgebeat::domain::oncalendar` against the PyPI
//! `oncalendar` library healthchecks.io uses (its pinned version, installed into
//! `.tools/venv` by scripts/setup.sh), run through tests/oracle/oncalendar_oracle.py.
//!
//! Thousands of generated and hand-picked schedules (valid and not), check
//! zones and instants around daylight-saving changes, with a fixed seed: both
//! sides must refuse the same schedules with the same message, and give the
//! same next firings several steps ahead. Native; no worker needed. Fails, never
//! skips, when the virtualenv or the library is missing.

use chrono::{DateTime, Offset, TimeZone};
use chrono_tz::Tz;
use edgebeat::domain::cron::parse_zone;
use edgebeat::domain::oncalendar::OnCalendar;
use edgebeat::domain::time::Timestamp;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// The version healthchecks.io pins in its requirements.txt.
const LIBRARY_VERSION: &str = "1.1";
const SEED: u64 = 0x0ca1_e4da_5eed;
const RANDOM_CASES: usize = 3000;
const STEPS: usize = 4;

/// Zones of the checks (and of expressions): several kinds of DST, a 30-minute
/// one (Lord Howe), one at midnight (Azores), a skipped day (Apia), none.
const ZONES: &[&str] = &[
    "UTC",
    "Europe/Riga",
    "America/New_York",
    "Australia/Lord_Howe",
    "Atlantic/Azores",
    "Pacific/Chatham",
    "Pacific/Apia",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Europe/London",
];

/// Names an expression may end with: zones, aliases, and names no zone has.
const EXPR_ZONES: &[&str] = &[
    "UTC",
    "Europe/Riga",
    "America/New_York",
    "Australia/Lord_Howe",
    "Atlantic/Azores",
    "Etc/GMT+5",
    "EST5EDT",
    "US/Eastern",
    "GMT",
    "Zulu",
    "Europe/Surprise",
    "europe/riga",
    "Europe/",
    "Mars/Olympus",
    "utc",
];

const HAND_PICKED: &[&str] = &[
    "*-*-* 02:00:00",
    "*-*-* 03:30",
    "*-*-* 02:30",
    "*-*-* 01:30",
    "*-*-* 00:15",
    "*-*-* 23:45",
    "hourly",
    "minutely",
    "*:0/15",
    "*:*:0/20",
    "*:00,30",
    "Mon..Fri 09:00",
    "Mon-Fri 02:30",
    "Sat,Sun 03:00",
    "Mon,Wed *-*-* 01:00:00",
    "daily",
    "Daily",
    "WEEKLY",
    "monthly",
    "quarterly",
    "semiannually",
    "yearly",
    "annually",
    "*-*-~1",
    "*-*~1",
    "*-*~29",
    "*-*~1..31",
    "*-02~03",
    "*-*~07/2 12:00",
    "Sun *-*-1..7 02:30",
    "Fri *-*-13",
    "Mon *-02-29",
    "2024-02-29 12:00",
    "2030-01-01",
    "1999-12-31 23:00 America/New_York",
    "1999-12-31 23:00 Asia/Tokyo",
    "2001-02-30",
    "2199-12-31 23:59:59",
    "2150-03,10-* 03:30",
    "2150-*-* 01:30 America/New_York",
    "2100,2101-* *:15",
    "Mon *-*-* 02:00 Europe/Riga",
    "02:30 America/New_York",
    "01:30 America/New_York",
    "02:00 Australia/Lord_Howe",
    "01:45 Australia/Lord_Howe",
    "00:30 Atlantic/Azores",
    "23:30 Atlantic/Azores",
    "00:00 Europe/Riga\n00:00 UTC",
    "03:30\n03:15 UTC",
    "*:30\n*:45 Europe/Riga",
    "02:00 Europe/Riga\n01:30 America/New_York\n03:00",
    "  daily  \n weekly ",
    "daily\r\nweekly",
    "daily\n\nweekly",
    "",
    "   ",
    "Europe/Riga",
    "daily\tUTC",
    "Mon Europe/Riga",
    "Mon, 12:00",
    "Mon,, 12:00",
    "Fri..Mon",
    "* *-*-* 00:00",
    "*-*-* */2:00",
    "*-*-* 1,*:00",
    "*-*-* 0/0:00",
    "*-*-* 1_0:00",
    "*-*-* 12:00:00.5",
    "*-*-* 24:00",
    "*-*-~29",
    "*-*-~1..31",
    "*-*-5..3",
    "1969-01-01",
    "69-01-01",
    "70-01-01",
    "Mon 2024-01-01 12:00 UTC extra",
    "12:00 Mon",
    "12",
    "12:00:00:00",
    "2024-01",
    "2024-01-01-01",
    "ſat", // upper-cases to SAT, in Python as in Rust
    "frıday",
    "WEE\u{212a}LY", // a Kelvin sign, lower-cased to k
    "\u{1c}daily\u{1f}",
];

/// Schedules, check zones and starts (Unix ms) that meet the library's quirks
/// in a repeated hour: it fires a repeated wall-clock time once, and picks the
/// earliest of several expressions by wall-clock time in the check's zone, so
/// its answer can precede an earlier instant, or even the start.
const FIXED: &[(&str, &str, i64)] = &[
    ("01:45\n06:30 UTC", "America/New_York", 1_730_606_400_000), // 2024-11-03T04:00Z
    ("*:30", "America/New_York", 1_730_611_800_000),             // 01:30 EDT
    ("*:30", "America/New_York", 1_730_615_400_000),             // 01:30 EST
    ("01:30 America/New_York", "UTC", 1_730_611_800_000),
    ("03:45\n01:15 UTC", "Europe/Riga", 1_729_983_600_000), // 2024-10-26T23:00Z
    ("01:15 UTC\n03:45", "Europe/Riga", 1_729_983_600_000),
    ("01:50\n15:10 UTC", "Australia/Lord_Howe", 1_712_404_800_000), // 2024-04-06T12:00Z
    ("*:*:30", "Australia/Lord_Howe", 1_712_416_190_000),           // 15:09:50Z
    ("00:30\n00:30 Atlantic/Azores", "Atlantic/Azores", 1_729_990_800_000), // 2024-10-27T01:00Z
];

/// splitmix64: a small deterministic generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

/// A component: `*` alone, or terms (a value, `a..b`, either with `/step`) joined by commas.
fn component(rng: &mut Rng, atoms: &[&str]) -> String {
    if rng.chance(25) {
        return "*".into();
    }
    let terms = if rng.chance(70) { 1 } else { 1 + rng.below(3) };
    let mut out = Vec::new();
    for _ in 0..terms {
        let mut term = rng.pick(atoms).to_owned();
        if rng.chance(25) {
            term = format!("{term}..{}", rng.pick(atoms));
        }
        if rng.chance(20) {
            term = format!("{term}/{}", rng.pick(&["1", "2", "3", "5", "7", "10", "15", "0", "x"]));
        }
        out.push(term);
    }
    out.join(",")
}

fn weekdays(rng: &mut Rng) -> String {
    const DAYS: &[&str] =
        &["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "mon", "FRI", "Monday", "sunday", "Wednesday", "Mo", "*"];
    let terms = 1 + rng.below(3);
    let mut out = Vec::new();
    for _ in 0..terms {
        let mut term = rng.pick(DAYS).to_owned();
        if rng.chance(35) {
            let sep = rng.pick(&["..", "-"]);
            term = format!("{term}{sep}{}", rng.pick(DAYS));
        }
        out.push(term);
    }
    let mut text = out.join(",");
    if rng.chance(10) {
        text.push(',');
    }
    text
}

fn date(rng: &mut Rng) -> String {
    const YEARS: &[&str] = &["2024", "2025", "2030", "24", "99", "70", "1969", "2199", "2200", "2000"];
    const MONTHS: &[&str] = &["1", "02", "3", "6", "10", "11", "12", "13", "0"];
    const DAYS: &[&str] = &["1", "5", "13", "15", "28", "29", "30", "31", "32", "0", "07"];
    let month = component(rng, MONTHS);
    let mut day = component(rng, DAYS);
    if rng.chance(20) {
        let extra = if rng.chance(10) { "~" } else { "" };
        day = format!("~{extra}{day}");
        if rng.chance(50) {
            return format!("{month}{day}");
        }
    }
    if rng.chance(35) {
        format!("{month}-{day}")
    } else {
        format!("{}-{month}-{day}", component(rng, YEARS))
    }
}

fn time(rng: &mut Rng) -> String {
    const HOURS: &[&str] = &["0", "00", "1", "2", "3", "4", "12", "23", "24"];
    const MINUTES: &[&str] = &["0", "00", "15", "30", "45", "59", "60", "5"];
    let hm = format!("{}:{}", component(rng, HOURS), component(rng, MINUTES));
    if rng.chance(40) {
        format!("{hm}:{}", component(rng, MINUTES))
    } else {
        hm
    }
}

fn expression(rng: &mut Rng) -> String {
    if rng.chance(5) {
        const SPECIALS: &[&str] =
            &["daily", "Hourly", "MINUTELY", "weekly", "monthly", "quarterly", "yearly", "biweekly"];
        return rng.pick(SPECIALS).to_owned();
    }
    let mut parts = Vec::new();
    if rng.chance(35) {
        parts.push(weekdays(rng));
    }
    if rng.chance(55) {
        parts.push(date(rng));
    }
    if rng.chance(80) {
        parts.push(time(rng));
    }
    if parts.is_empty() || rng.chance(2) {
        parts.push(weekdays(rng));
    }
    if rng.chance(25) {
        parts.push(rng.pick(EXPR_ZONES).to_owned());
    }
    let sep = if rng.chance(5) { "  " } else { " " };
    parts.join(sep)
}

/// Tokens glued at random: mostly refused, sometimes not.
fn garbage(rng: &mut Rng) -> String {
    const TOKENS: &[&str] = &[
        "Mon", "fri", "*", "-", "~", "..", ",", "/", ":", " ", "1", "2", "0", "3", "12", "30", "59", "2024", "\n",
        "UTC", "daily", "\t",
    ];
    (0..1 + rng.below(10)).map(|_| rng.pick(TOKENS)).collect()
}

fn schedule(rng: &mut Rng) -> String {
    if rng.chance(10) {
        return garbage(rng);
    }
    let lines = if rng.chance(80) { 1 } else { 2 + rng.below(2) };
    (0..lines).map(|_| expression(rng)).collect::<Vec<_>>().join("\n")
}

/// The instants, to the second, at which `zone`'s UTC offset changed in `year`.
fn transitions(zone: Tz, year: i32) -> Vec<i64> {
    let offset = |t: i64| {
        DateTime::from_timestamp(t, 0)
            .map_or(0, |utc| zone.offset_from_utc_datetime(&utc.naive_utc()).fix().local_minus_utc())
    };
    let start = chrono::Utc.with_ymd_and_hms(year, 1, 1, 0, 0, 0).single().map_or(0, |t| t.timestamp());
    let mut found = Vec::new();
    let mut t = start;
    while t < start + 366 * 86_400 {
        if offset(t) != offset(t + 3600) {
            // The change is in (t, t + 3600]: narrow it down to the second.
            let (mut low, mut high) = (t, t + 3600);
            while high - low > 1 {
                let mid = (low + high) / 2;
                if offset(mid) == offset(t) {
                    low = mid;
                } else {
                    high = mid;
                }
            }
            found.push(high);
        }
        t += 3600;
    }
    found
}

/// A start instant in milliseconds: mostly within hours of a DST change of
/// one of the zones, otherwise anywhere from 1995 to 2200.
fn start_ms(rng: &mut Rng, zones: &[Tz], changes: &mut HashMap<(Tz, i32), Vec<i64>>) -> i64 {
    if rng.chance(70) {
        let zone = zones[rng.below(zones.len() as u64) as usize];
        let year =
            *[2000, 2011, 2023, 2024, 2025, 2026, 2037, 2050, 2089, 2099].get(rng.below(10) as usize).unwrap_or(&2024);
        let changes = changes.entry((zone, year)).or_insert_with(|| transitions(zone, year));
        if !changes.is_empty() {
            let change = changes[rng.below(changes.len() as u64) as usize];
            let offset_ms = rng.below(6 * 3_600_000) as i64 - 3 * 3_600_000;
            // Often right on a second, sometimes mid-second.
            let ms = if rng.chance(70) { offset_ms / 1000 * 1000 } else { offset_ms };
            return change * 1000 + ms;
        }
    }
    let from = 788_918_400_000i64; // 1995-01-01
    let to = 7_258_118_400_000i64; // 2200-01-01
    from + (rng.next() % (to - from) as u64) as i64
}

fn python() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let python = root.join(".tools/venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/setup.sh, which installs the PyPI `oncalendar` library \
         (the oracle of this test) into .tools/venv",
        python.display()
    );
    let out = Command::new(&python)
        .args(["-c", "import importlib.metadata as m, oncalendar; print(m.version('oncalendar'))"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    let version = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert!(
        out.status.success() && version == LIBRARY_VERSION,
        "the PyPI `oncalendar` library {LIBRARY_VERSION} is not installed in .tools/venv \
         (found {version:?}; {}): run scripts/setup.sh",
        String::from_utf8_lossy(&out.stderr).trim()
    );
    python
}

/// One answer per request from the Python library.
fn oracle(requests: &[Value]) -> Vec<Value> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oracle/oncalendar_oracle.py");
    let mut child = Command::new(python())
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {script}: {e}"));
    let mut stdin = child.stdin.take().expect("stdin");
    let input: String = requests.iter().map(|r| format!("{r}\n")).collect();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let answers: Vec<Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(&line.expect("read the oracle")).expect("the oracle writes JSON"))
        .collect();
    writer.join().expect("writer thread").expect("write to the oracle");
    let status = child.wait().expect("wait for the oracle");
    assert!(status.success(), "{script} failed: {status}");
    assert_eq!(answers.len(), requests.len(), "{script} answered {} of {} requests", answers.len(), requests.len());
    answers
}

/// What the Rust module says, in the oracle's shape.
fn ours(schedule: &str, zone: Tz, start_ms: i64) -> Value {
    let parsed = match OnCalendar::parse(schedule) {
        Ok(parsed) => parsed,
        Err(e) => return json!({ "error": e.to_string() }),
    };
    let mut firings = Vec::new();
    let mut at = Timestamp::from_millis(start_ms);
    for _ in 0..STEPS {
        match parsed.next_after(at, zone) {
            Some(next) => {
                firings.push(json!(next.millis()));
                at = next;
            }
            None => {
                firings.push(Value::Null);
                break;
            }
        }
    }
    json!({ "next": firings })
}

#[test]
fn agrees_with_the_python_library() {
    python(); // fail at once when the oracle is missing
    let mut rng = Rng(SEED);
    let mut changes = HashMap::new();
    let zones: Vec<Tz> = ZONES.iter().map(|name| parse_zone(name).expect("known zone")).collect();
    let mut cases: Vec<(String, &str, i64)> = Vec::new();
    for schedule in HAND_PICKED {
        for _ in 0..12 {
            let zone = rng.pick(ZONES);
            cases.push((schedule.to_string(), zone, start_ms(&mut rng, &zones, &mut changes)));
        }
    }
    for (schedule, zone, start) in FIXED {
        cases.push((schedule.to_string(), zone, *start));
    }
    for _ in 0..RANDOM_CASES {
        let schedule = schedule(&mut rng);
        let zone = rng.pick(ZONES);
        cases.push((schedule, zone, start_ms(&mut rng, &zones, &mut changes)));
    }

    let requests: Vec<Value> = cases
        .iter()
        .map(|(schedule, zone, start)| json!({"schedule": schedule, "zone": zone, "start_ms": start, "steps": STEPS}))
        .collect();
    let answers = oracle(&requests);

    let mut accepted = 0;
    let mut failures = Vec::new();
    for ((schedule, zone, start), expected) in cases.iter().zip(&answers) {
        let got = ours(schedule, parse_zone(zone).expect("known zone"), *start);
        if expected.get("next").is_some() {
            accepted += 1;
        }
        if got != *expected {
            let at = Timestamp::from_millis(*start).iso8601_precise();
            failures.push(format!("{schedule:?} in {zone} after {at} ({start}): library {expected}, ours {got}"));
        }
    }
    println!("{} cases, {accepted} accepted, {} differ", cases.len(), failures.len());
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from the library:\n{}",
        failures.len(),
        cases.len(),
        failures.iter().take(30).cloned().collect::<Vec<_>>().join("\n")
    );
    // The generator must exercise both paths.
    assert!(accepted > cases.len() / 6 && accepted < cases.len() * 9 / 10, "{accepted} of {} accepted", cases.len());
}
