//! Differential test: `CronExpr` against cronsim itself, the library
//! healthchecks.io evaluates cron schedules with, at the version it pins.
//!
//! A few thousand expressions (hand-picked and generated from a fixed seed,
//! with cronsim's extensions, steps, ranges, names and malformed items) and
//! instants (mostly around clock changes in zones that have them) go to
//! `tests/oracle/cronsim_oracle.py`, run with the project's Python
//! (`.tools/venv/bin/python`, which `scripts/setup.sh` provides). Both sides
//! must agree on which expressions are valid and on the next firings, several
//! steps ahead. Without the venv, cronsim or the matching tzdata the test
//! fails: it never passes by skipping.

use chrono::{DateTime, NaiveDate, Offset, TimeDelta, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use edgebeat::domain::cron::{parse_zone, CronExpr};
use edgebeat::domain::time::Timestamp;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};

/// healthchecks.io's requirements.txt pins this cronsim.
const CRONSIM_VERSION: &str = "2.7";
const SEED: u64 = 0x0edb_ea7c_2026;
const GENERATED: usize = 3000;

/// CRON_ORACLE_SEED and CRON_ORACLE_CASES run another or a longer draw, to
/// look for differences beyond the suite's fixed one.
fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|value| value.parse().ok()).unwrap_or(default)
}
const STEPS: usize = 4;

const ZONES: [&str; 20] = [
    "UTC",
    "Europe/Riga",
    "Europe/Berlin",
    "America/New_York",
    "Atlantic/Azores",
    "America/Santiago",
    "Africa/Cairo",
    "America/Havana",
    "Australia/Lord_Howe",
    "America/Sao_Paulo",
    "Asia/Tehran",
    "Pacific/Chatham",
    "America/St_Johns",
    "Pacific/Apia",
    "Africa/Casablanca",
    "Antarctica/Troll",
    "Asia/Kolkata",
    "Asia/Gaza",
    "Europe/Kiev",
    "US/Eastern",
];

/// Expressions worth checking whatever the generator draws: each difference
/// edgebeat once had from cronsim, and the corners of cronsim's syntax.
const HAND_PICKED: &[&str] = &[
    "* * * * *",
    "0 0 * * *",
    "5-5/15 * * * *",
    "0 12 * 9-9/3 *",
    "0 0 * * 3-3/2",
    "0 0 1-1/10 * *",
    "0 5-5/1 * * *",
    "* 0 * * *",
    "*/15 0 * * *",
    "0 0 * * *",
    "30 0 * * *",
    "* 1 * * *",
    "0 1 * * *",
    "15 * * * *",
    "2 * 1 * *",
    "0 0 L * *",
    "0 0 LW * *",
    "0 0 L/5 * *",
    "0 0 LW/2 * *",
    "0 0 1,L * *",
    "0 0 15,LW * *",
    "0 9 L 2 *",
    "0 0 * * 5L",
    "0 0 * * 0L",
    "0 0 * * 7L",
    "0 0 * * 1#1",
    "0 0 * * MON#2",
    "0 0 * * sun#5",
    "0 0 * * 1#5,5L",
    "0 0 * 2 1#5",
    "0 0 13 * 5#2",
    "0 0 * * 1#6",
    "0 0 * * 1#0",
    "0 0 * * 8L",
    "0 0 * * L",
    "0 0 * * L5",
    "0 0 15W * *",
    "0 0 L-5 * *",
    "0 0 31 2 *",
    "0 0 31 2 MON",
    "0 0 30,L 2 *",
    "0 0 */31 * 1#5",
    "0 0 * *\n*",
    "0 0 * * *\n",
    "\n0 0 * * *",
    "0 0 * * * *",
    "0 0 * *",
    "@daily",
    "0 0 ? * *",
    "0 0 * * 1-5/0",
    "0 0 * * ſun",
    "0 0 * * frı",
    "0 0 * * ＭＯＮ",
    "0 0 * * ²L",
    "0 0 * * 1#²",
    "0 0 ١ * *",
    "0\u{1c}0 * * *",
    "0\u{85}0 * * *",
    "0\u{a0}0 * * *",
    "0\u{200b}0 * * *",
    "0 0 * * *\u{2028}",
    "0 0 * * 05L",
    "0 0 * * 1#05",
    "0 0 * * 1#99999999999999999999",
    "0 0 */99999999999999999999 * *",
    "0 0 1-1/99999999999999999999 * *",
    "0 0 L,LW * *",
    "0 0 LW * 5L",
    "0 0 * * 0#1,7#2,7L",
    "0 0 * * *#1",
    "0 0 * * 1-5#1",
    "0 0 * * 1/2#1",
    "0 0 * * 5L,*/3",
];

/// Expressions at the instants where edgebeat and cronsim once differed, or
/// where cronsim answers in the past or walks in a circle.
const HAND_PICKED_AT: &[(&str, &str, &str)] = &[
    ("* 0 31 3 *", "Atlantic/Azores", "2024-03-01T00:00:00Z"),
    ("*/15 0 31 3 *", "Atlantic/Azores", "2024-03-01T00:00:00Z"),
    ("* 0 * * *", "Atlantic/Azores", "2024-03-30T12:00:00Z"),
    ("* 0 8 9 *", "America/Santiago", "2024-09-01T00:00:00Z"),
    ("*/15 0 26 4 *", "Africa/Cairo", "2024-04-01T00:00:00Z"),
    ("* 0 10 3 *", "America/Havana", "2024-03-01T00:00:00Z"),
    ("0 0 * * *", "America/Havana", "2024-03-09T12:00:00Z"),
    ("* 3 * * *", "Australia/Lord_Howe", "2024-10-05T15:00:00Z"),
    ("45 * * * *", "Australia/Lord_Howe", "2024-04-06T14:00:00Z"),
    ("30 2 * * *", "Europe/Berlin", "2024-10-27T01:10:00Z"),
    ("0-3 * L,15 */1 */3", "America/St_Johns", "2004-10-31T02:56:29.424Z"),
    ("2 * 1 * *", "America/St_Johns", "2009-11-01T02:02:31.424Z"),
    ("1-8/6 * */1 * */11", "America/St_Johns", "1995-10-27T11:18:09.424Z"),
    ("0 9 * * *", "Pacific/Apia", "2011-12-29T12:00:00Z"),
    ("0 1 * * *", "Antarctica/Troll", "2024-10-27T00:30:00Z"),
];

fn main_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// splitmix64: a tiny deterministic generator, so the cases never change.
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

    fn between(&mut self, low: u32, high: u32) -> u32 {
        low + self.below(u64::from(high - low + 1)) as u32
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

const MONTHS: [&str; 12] = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// One field's value, as a number or sometimes a name in some case.
fn value(rng: &mut Rng, value: u32, names: &[&str], first_name: u32) -> String {
    let name = value.checked_sub(first_name).and_then(|i| names.get(i as usize));
    match (name, rng.below(4)) {
        (Some(name), 1) => name.to_string(),
        (Some(name), 2) => name.to_lowercase(),
        (Some(name), 3) => name[..1].to_string() + &name[1..].to_lowercase(),
        _ => value.to_string(),
    }
}

/// One item of a field: a value, range or step, biased towards `hot` values.
fn item(rng: &mut Rng, low: u32, high: u32, hot: (u32, u32), names: &[&str], first_name: u32) -> String {
    let pick = |rng: &mut Rng| if rng.chance(50) { rng.between(hot.0, hot.1) } else { rng.between(low, high) };
    let a = pick(rng);
    let b = pick(rng);
    let (a, b) = (a.min(b), a.max(b));
    let step = if rng.chance(70) { rng.between(1, 6) } else { rng.between(1, high + 10) };
    match rng.below(12) {
        0..=3 => value(rng, a, names, first_name),
        4 | 5 => format!("{}-{}", value(rng, a, names, first_name), value(rng, b, names, first_name)),
        6 | 7 => format!("*/{step}"),
        8 => format!("{}/{step}", value(rng, a, names, first_name)),
        9 => format!("{}-{}/{step}", value(rng, a, names, first_name), value(rng, b, names, first_name)),
        10 => format!("{0}-{0}/{step}", value(rng, a, names, first_name)),
        _ => ["*", "0", "60", "1-", "/2", "*/0", "2-1", "x", ""][rng.below(9) as usize].to_string(),
    }
}

fn field(rng: &mut Rng, low: u32, high: u32, hot: (u32, u32), names: &[&str], first: u32, star: u64) -> String {
    if rng.chance(star) {
        return if rng.chance(85) { "*".into() } else { format!("*/{}", rng.between(1, 12)) };
    }
    let count = if rng.chance(75) { 1 } else { rng.between(2, 3) };
    (0..count).map(|_| item(rng, low, high, hot, names, first)).collect::<Vec<_>>().join(",")
}

fn day_of_month(rng: &mut Rng) -> String {
    if rng.chance(15) {
        let extension = ["L", "LW", "l", "lw", "L/3", "LW/2", "1,L", "L,15", "LW,1-3", "W", "15W", "L-2"];
        return rng.pick(&extension).to_string();
    }
    field(rng, 1, 31, (26, 31), &[], 0, 45)
}

fn day_of_week(rng: &mut Rng) -> String {
    if rng.chance(25) {
        let number = rng.between(0, 7);
        let weekday = value(rng, number, &DAYS, 0);
        let number = if rng.chance(50) { number } else { rng.between(0, 8) };
        let week = if rng.chance(90) { rng.between(1, 5) } else { rng.between(0, 7) };
        return match rng.below(6) {
            0 | 1 => format!("{number}L"),
            2 | 3 => format!("{weekday}#{week}"),
            4 => format!("{number}L,{weekday}#{week}"),
            _ => format!("{weekday}#{week},{}", field(rng, 0, 7, (0, 7), &DAYS, 0, 0)),
        };
    }
    field(rng, 0, 7, (0, 7), &DAYS, 0, 45)
}

/// The instants in `year` at which `zone` changes its UTC offset.
fn offset_changes(zone: Tz, year: i32) -> Vec<DateTime<Utc>> {
    let offset = |at: DateTime<Utc>| zone.offset_from_utc_datetime(&at.naive_utc()).fix();
    let Some(start) = NaiveDate::from_ymd_opt(year, 1, 1).and_then(|day| day.and_hms_opt(0, 0, 0)) else {
        return Vec::new();
    };
    let start = start.and_utc();
    let mut changes = Vec::new();
    for day in 0..366 {
        let (mut low, mut high) = (start + TimeDelta::days(day), start + TimeDelta::days(day + 1));
        if offset(low) == offset(high) {
            continue;
        }
        while high - low > TimeDelta::seconds(1) {
            let middle = low + (high - low) / 2;
            if offset(middle) == offset(low) {
                low = middle;
            } else {
                high = middle;
            }
        }
        changes.push(high);
    }
    changes
}

struct Case {
    expr: String,
    zone: &'static str,
    after: i64,
}

/// A zone, and an instant mostly within hours of one of its clock changes.
fn zone_and_instant(rng: &mut Rng) -> (&'static str, Tz, DateTime<Utc>) {
    let name = *rng.pick(&ZONES);
    let zone = parse_zone(name).unwrap();
    let year = rng.between(1995, 2040) as i32;
    let changes = offset_changes(zone, year);
    let hour = 3600;
    let base = if !changes.is_empty() && rng.chance(80) {
        let shift = match rng.below(4) {
            0 | 1 => rng.below(4 * hour) as i64 - 2 * hour as i64,
            2 => rng.below(24 * hour) as i64 - 12 * hour as i64,
            _ => rng.below(96 * hour) as i64 - 48 * hour as i64,
        };
        *rng.pick(&changes) + TimeDelta::seconds(shift)
    } else {
        let start = NaiveDate::from_ymd_opt(year, 1, 1).unwrap().and_hms_opt(0, 0, 0).unwrap().and_utc();
        start + TimeDelta::seconds(rng.below(365 * 86_400) as i64)
    };
    // Whole minutes (often firing times), whole seconds, or milliseconds.
    let instant = match rng.below(3) {
        0 => DateTime::from_timestamp(base.timestamp().div_euclid(60) * 60, 0).unwrap(),
        1 => base,
        _ => base + TimeDelta::milliseconds(rng.below(1000) as i64),
    };
    (name, zone, instant)
}

fn generated(rng: &mut Rng) -> Case {
    let (name, zone, after) = zone_and_instant(rng);
    // Half the hour fields name the wall-clock hours around a clock change.
    let hour = if rng.chance(50) {
        let before = (after - TimeDelta::hours(1)).with_timezone(&zone).hour();
        let later = (after + TimeDelta::hours(1)).with_timezone(&zone).hour();
        match rng.below(6) {
            0 => before.to_string(),
            1 => later.to_string(),
            2 => format!("{before},{later}"),
            3 => format!("{}-{}", before.min(later), before.max(later)),
            4 => format!("{}/2", before.min(later)),
            _ => "*".into(),
        }
    } else {
        field(rng, 0, 23, (0, 3), &[], 0, 35)
    };
    let expr = format!(
        "{} {} {} {} {}",
        field(rng, 0, 59, (0, 3), &[], 0, 30),
        hour,
        day_of_month(rng),
        field(rng, 1, 12, (1, 12), &MONTHS, 1, 75),
        day_of_week(rng),
    );
    Case { expr, zone: name, after: after.timestamp_millis() }
}

fn cases() -> Vec<Case> {
    let mut rng = Rng(setting("CRON_ORACLE_SEED", SEED));
    let mut cases = Vec::new();
    for expr in HAND_PICKED {
        for _ in 0..6 {
            let (zone, _, after) = zone_and_instant(&mut rng);
            cases.push(Case { expr: expr.to_string(), zone, after: after.timestamp_millis() });
        }
    }
    for (expr, zone, at) in HAND_PICKED_AT {
        let after = DateTime::parse_from_rfc3339(at).unwrap().timestamp_millis();
        let zone = ZONES.iter().find(|name| *name == zone).unwrap();
        cases.push(Case { expr: expr.to_string(), zone, after });
    }
    let count = setting("CRON_ORACLE_CASES", GENERATED as u64);
    cases.extend((0..count).map(|_| generated(&mut rng)));
    cases
}

/// Runs the oracle on every case, in one process.
fn ask_cronsim(cases: &[Case]) -> Vec<Value> {
    let python = main_dir().join(".tools/venv/bin/python");
    let script = main_dir().join("tests/oracle/cronsim_oracle.py");
    assert!(
        python.exists(),
        "the cron oracle needs {} with cronsim {CRONSIM_VERSION}: run scripts/setup.sh",
        python.display()
    );
    let mut child = Command::new(&python)
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    let requests: String = cases
        .iter()
        .map(|case| json!({"expr": case.expr, "tz": case.zone, "after": case.after, "steps": STEPS}).to_string() + "\n")
        .collect();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        // A failed write shows up below as missing answers and stderr.
        let _ = stdin.write_all(requests.as_bytes());
    });
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut read = || -> Option<Value> { lines.next()?.ok().and_then(|line| serde_json::from_str(&line).ok()) };

    let versions = read();
    let answers: Vec<Value> = (0..cases.len()).map_while(|_| read()).collect();
    writer.join().unwrap();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let Some(versions) = versions else {
        panic!(
            "the cron oracle did not start; are cronsim {CRONSIM_VERSION} and tzdata installed in .tools/venv \
             (run scripts/setup.sh)?\n{stderr}"
        );
    };
    assert_eq!(
        versions["cronsim"], CRONSIM_VERSION,
        "healthchecks.io pins cronsim {CRONSIM_VERSION}: run scripts/setup.sh"
    );
    assert_eq!(
        versions["tzdata"],
        chrono_tz::IANA_TZDB_VERSION,
        "the oracle's tzdata must be chrono-tz's IANA release: fix the tzdata pin in scripts/setup.sh"
    );
    assert_eq!(answers.len(), cases.len(), "the cron oracle stopped early:\n{stderr}");
    answers
}

fn iso(millis: i64) -> String {
    Timestamp::from_millis(millis).iso8601()
}

#[test]
fn cron_expr_agrees_with_cronsim() {
    let started = std::time::Instant::now();
    let cases = cases();
    let answers = ask_cronsim(&cases);

    let mut mismatches = Vec::new();
    let (mut valid, mut compared, mut passed_over, mut circles, mut second_passes) = (0, 0, 0, 0, 0);
    for (case, answer) in cases.iter().zip(&answers) {
        let expr = CronExpr::parse(&case.expr);
        let cronsim_valid = answer["valid"].as_bool().unwrap();
        if expr.is_ok() != cronsim_valid {
            mismatches.push(format!("{:?}: cronsim valid {cronsim_valid}, edgebeat {:?}", case.expr, expr.err()));
            continue;
        }
        let Ok(expr) = expr else { continue };
        valid += 1;
        passed_over += answer["past"].as_u64().unwrap_or(0);
        circles += answer["circles"].as_u64().unwrap_or(0);
        second_passes += answer["second_passes"].as_u64().unwrap_or(0);
        if answer.get("stuck").is_some() {
            mismatches
                .push(format!("{:?} in {} after {}: cronsim stuck in the past", case.expr, case.zone, case.after));
        }
        let expected: Vec<i64> = answer["next"].as_array().unwrap().iter().map(|t| t.as_i64().unwrap()).collect();
        let zone = parse_zone(case.zone).unwrap();
        let mut at = Timestamp::from_millis(case.after);
        let mut got = Vec::new();
        while got.len() < STEPS {
            let Some(next) = expr.next_after(at, zone) else { break };
            got.push(next.millis());
            at = next;
            if got.len() > expected.len() {
                break;
            }
        }
        compared += expected.len();
        if got != expected {
            mismatches.push(format!(
                "{:?} in {} after {} ({}): cronsim {:?}, edgebeat {:?}",
                case.expr,
                case.zone,
                iso(case.after),
                case.after,
                expected.iter().map(|&t| iso(t)).collect::<Vec<_>>(),
                got.iter().map(|&t| iso(t)).collect::<Vec<_>>(),
            ));
        }
    }
    println!(
        "{} cases, {valid} valid, {compared} firings compared; cronsim answers passed over: {passed_over} \
         in the past, {circles} circles; {second_passes} circles gone on from the second pass; {:.1?}",
        cases.len(),
        started.elapsed()
    );
    assert!(
        mismatches.is_empty(),
        "{} of {} cases differ from cronsim:\n{}",
        mismatches.len(),
        cases.len(),
        mismatches.iter().take(30).cloned().collect::<Vec<_>>().join("\n")
    );
    // The generator must exercise both sides of validity.
    assert!(valid > cases.len() / 2 && valid < cases.len(), "{valid} valid of {}", cases.len());
}
