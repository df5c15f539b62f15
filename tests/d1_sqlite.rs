//! The D1 store's SQL on a real SQLite (rusqlite's bundled build), natively:
//! every migration on an empty database and on rows in the shape before
//! 0011 (its backfills), the query plans of the reads whose cost matters,
//! and the very statements `adapter::d1` sends for plans (`edgebeat::d1_sql`),
//! run as D1 runs a batch: in order, in one transaction.

use edgebeat::d1_sql::people::{
    audit_entries, audit_insert, delete_check, delete_project, member_batch, replace_api_keys, PRUNE_AUDIT,
};
use edgebeat::d1_sql::plan::{channel_batch, check_batch, Witness};
use edgebeat::d1_sql::queries::{due_checks, prune_run_reports, CLAIM, DUE_NOTIFICATIONS};
use edgebeat::d1_sql::rows::{check_of, CHECK_COLUMNS};
use edgebeat::d1_sql::status_pages;
use edgebeat::d1_sql::windows::{windows_of, windows_of_project, windows_of_projects};
use edgebeat::d1_sql::{Arg, Statement};
use edgebeat::domain::access::members::{member_plan, why_not_applied, MemberApplied, MemberChange, MemberPlan};
use edgebeat::domain::access::roles::Role;
use edgebeat::domain::api::spec::UniqueValue;
use edgebeat::domain::audit::AuditWrite;
use edgebeat::domain::channel::{Channel, ChannelConfig, EventSet};
use edgebeat::domain::check::{Check, CheckConfig, Event, EventKind, FlipReason, PingKind, Status};
use edgebeat::domain::decide::{
    create_plan, edit_plan, ping_plan, reschedule_plan, sweep_plan, Audience, Collisions, NewKeys, Subject,
};
use edgebeat::domain::ids::Uuid;
use edgebeat::domain::plan::{
    ChannelChange, ChannelPlan, CheckPlan, Deadlines, EventWrite, Expect, Expected, NewPing, Owner, Reroute,
    RoutingGuard,
};
use edgebeat::domain::routing::Routes;
use edgebeat::domain::status_page::{parse_page, StatusPage, StoredPage};
use edgebeat::domain::time::Timestamp;
use rusqlite::types::Value as Sql;
use rusqlite::{params_from_iter, Connection, StatementStatus};
use serde_json::{Map, Value};
use std::fs;

const HISTORY: i64 = 100;

/// The migrations in the order wrangler applies them (by file name).
fn migrations() -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = fs::read_dir("migrations")
        .expect("read migrations/")
        .map(|entry| {
            let path = entry.expect("directory entry").path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
            let sql = fs::read_to_string(&path).expect("read a migration");
            (name, sql)
        })
        .filter(|(name, _)| name.ends_with(".sql"))
        .collect();
    files.sort();
    files
}

/// A database as D1 keeps it (foreign keys enforced), migrated up to but
/// not including `before` (all of them with `None`).
fn database(before: Option<&str>) -> Connection {
    let db = Connection::open_in_memory().expect("open SQLite");
    db.execute_batch("PRAGMA foreign_keys = ON").expect("foreign keys");
    migrate(&db, None, before);
    db
}

fn migrate(db: &Connection, from: Option<&str>, before: Option<&str>) {
    for (name, sql) in migrations() {
        if from.is_some_and(|from| name.as_str() < from) || before.is_some_and(|before| name.as_str() >= before) {
            continue;
        }
        db.execute_batch(&sql).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

fn sql_arg(arg: &Arg) -> Sql {
    match arg {
        Arg::Null => Sql::Null,
        Arg::Int(v) => Sql::Integer(*v),
        Arg::Text(v) => Sql::Text(v.clone()),
        Arg::Blob(v) => Sql::Blob(v.clone()),
    }
}

/// What one statement did: rows changed, rows returned (as D1 returns them, JSON objects).
struct Ran {
    changes: usize,
    rows: Vec<Value>,
}

fn run(db: &Connection, statement: &Statement) -> Ran {
    let mut prepared = db.prepare(&statement.sql).unwrap_or_else(|e| panic!("{e}: {}", statement.sql));
    let names: Vec<String> = prepared.column_names().into_iter().map(str::to_owned).collect();
    let mut rows = Vec::new();
    let mut cursor = prepared.query(params_from_iter(statement.args.iter().map(sql_arg))).expect("run");
    while let Some(row) = cursor.next().unwrap_or_else(|e| panic!("{e}: {}", statement.sql)) {
        let mut object = Map::new();
        for (i, name) in names.iter().enumerate() {
            let value = match row.get::<_, Sql>(i).expect("column") {
                Sql::Null => Value::Null,
                Sql::Integer(v) => Value::from(v),
                Sql::Real(v) => Value::from(v),
                Sql::Text(v) => Value::from(v),
                Sql::Blob(v) => Value::from(v),
            };
            object.insert(name.clone(), value);
        }
        rows.push(Value::Object(object));
    }
    drop(cursor);
    let changes = if names.is_empty() || statement.sql.contains("RETURNING") { db.changes() as usize } else { 0 };
    Ran { changes, rows }
}

/// A batch as D1 runs it: in order, in one transaction.
fn batch(db: &Connection, statements: &[Statement]) -> Vec<Ran> {
    db.execute_batch("BEGIN").expect("begin");
    let ran = statements.iter().map(|s| run(db, s)).collect();
    db.execute_batch("COMMIT").expect("commit");
    ran
}

fn query(db: &Connection, sql: &str) -> Vec<Value> {
    run(db, &Statement::new(sql, Vec::new())).rows
}

fn one(db: &Connection, sql: &str) -> Value {
    query(db, sql).into_iter().next().unwrap_or(Value::Null)
}

/// Carries out a plan as `D1Store::apply` does; `Some(check id)` when it applied.
fn apply(db: &Connection, plan: &CheckPlan) -> Option<i64> {
    apply_reporting(db, plan).0
}

/// As `apply`, and whether the plan's run report was there before (as
/// `D1Store::apply` reads it from the batch).
fn apply_reporting(db: &Connection, plan: &CheckPlan) -> (Option<i64>, bool) {
    let planned = check_batch(plan);
    let ran = batch(db, &planned.statements);
    let applied = match planned.witness {
        Witness::Changed(i) => ran[i].changes > 0,
        Witness::Returned(i) => !ran[i].rows.is_empty(),
    };
    if !applied {
        let seen = planned.seen.is_some_and(|i| ran[i].rows.first().is_some_and(|r| r["reported"] == 1));
        return (None, seen);
    }
    (applied_id(plan, &planned, &ran), false)
}

fn applied_id(plan: &CheckPlan, planned: &edgebeat::d1_sql::plan::CheckBatch, ran: &[Ran]) -> Option<i64> {
    match planned.insert {
        Some(i) => ran[i].rows.first().and_then(|r| r["id"].as_i64()),
        None => match plan.target {
            edgebeat::domain::plan::Target::Existing(id) => Some(id),
            edgebeat::domain::plan::Target::New(_) => None,
        },
    }
}

fn read_check(db: &Connection, id: i64) -> Check {
    let row = one(db, &format!("SELECT {CHECK_COLUMNS} FROM checks c WHERE c.id = {id}"));
    check_of(row).expect("a readable check")
}

fn count(db: &Connection, sql: &str) -> i64 {
    one(db, sql)["n"].as_i64().expect("a count")
}

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_millis(1_700_000_000_000 + seconds * 1000)
}

fn channel(id: &str, events: &[EventKind]) -> Channel {
    Channel {
        id: id.into(),
        name: id.into(),
        config: ChannelConfig::Webhook(edgebeat::domain::channels::webhook::Webhook {
            url: "http://127.0.0.1:9/hook".into(),
            method: "POST".into(),
            headers: Vec::new(),
            secret: None,
        }),
        events: EventSet::of(events),
        failing: None,
    }
}

fn add_project(db: &Connection, id: &str) {
    db.execute(
        "INSERT INTO projects (id, name, ping_key_hash, created_at, badge_key, badge_secret) \
         VALUES (?1, ?1, 'hash-' || ?1, 0, 'badge-' || ?1, 'secret')",
        [id],
    )
    .expect("insert a project");
}

fn ping(kind: PingKind, when: Timestamp) -> NewPing {
    NewPing {
        kind,
        at: when,
        scheme: "https".into(),
        method: "POST".into(),
        ua: "test".into(),
        remote_addr: None,
        exit_status: None,
        rid: None,
        body: b"hello".to_vec(),
        history: HISTORY,
        arrived: None,
    }
}

/// Creates a check the way the API does (a plan), returns it as stored.
fn create(db: &Connection, project: &str, slug: &str, routes: &Routes, max: i64) -> Option<Check> {
    let uuid = Uuid::random().expect("random");
    let plan = create_plan(
        NewKeys { uuid, badge_key: format!("badge-{uuid}") },
        Owner::Project(project.into()),
        CheckConfig::named_after_slug(slug),
        routes.clone(),
        at(0),
        max,
        Collisions::default(),
    );
    apply(db, &plan).map(|id| read_check(db, id))
}

// ---------------------------------------------------------------- migrations

#[test]
fn every_migration_applies_to_an_empty_database() {
    let db = database(None);
    let columns = |table: &str| -> Vec<String> {
        query(&db, &format!("SELECT name FROM pragma_table_info('{table}')"))
            .iter()
            .filter_map(|r| r["name"].as_str().map(str::to_owned))
            .collect()
    };
    let checks = columns("checks");
    assert!(checks.contains(&"routes".to_owned()) && checks.contains(&"sweep_at".to_owned()), "{checks:?}");
    assert!(!checks.contains(&"listeners".to_owned()), "the listener bits are gone");
    assert!(columns("projects").contains(&"routing_version".to_owned()));
    let notifications = columns("notifications");
    assert!(notifications.contains(&"project_id".to_owned()) && notifications.contains(&"coalesce_key".to_owned()));
    let rules =
        query(&db, "SELECT type, name FROM sqlite_master WHERE type IN ('trigger', 'view') OR name = 'check_channels'");
    assert!(rules.is_empty(), "no trigger, view or link table is left: {rules:?}");
}

/// The two migrations numbered 0007 (made on two branches at once) stay as
/// they are: wrangler records applied migrations by file name, so renaming
/// either would apply it a second time on every existing deployment
/// (docs/d1-store.md). No other number may repeat.
const KEPT_DUPLICATES: [&str; 2] = ["0007_alert_policy.sql", "0007_ping_ring.sql"];

#[test]
fn no_migration_number_repeats_but_the_two_0007s_already_deployed() {
    let names: Vec<String> = migrations().into_iter().map(|(name, _)| name).collect();
    let mut by_number: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    for name in &names {
        let (number, rest) = name.split_once('_').unwrap_or((name, ""));
        assert!(
            number.len() == 4 && number.bytes().all(|b| b.is_ascii_digit()) && !rest.is_empty(),
            "{name}: a migration is named NNNN_what.sql"
        );
        by_number.entry(number).or_default().push(name);
    }
    let repeated: Vec<&Vec<&str>> = by_number.values().filter(|files| files.len() > 1).collect();
    assert_eq!(repeated, [&KEPT_DUPLICATES.to_vec()], "a migration number is used twice: take the next free one");
}

#[test]
fn migration_0011_backfills_rows_made_before_it() {
    let db = database(Some("0011"));
    db.execute_batch(
        "INSERT INTO projects (id, name, ping_key_hash, created_at) VALUES ('p1', 'one', 'h1', 1), ('p2', 'two', 'h2', 2);
         INSERT INTO checks (uuid, project_id, created_at, alert_after, next_event_at) VALUES
           ('00000000-0000-4000-8000-000000000001', 'p1', 1, 5000, 3000),
           ('00000000-0000-4000-8000-000000000002', 'p1', 1, 7000, NULL),
           ('00000000-0000-4000-8000-000000000003', 'p2', 1, NULL, 9000),
           ('00000000-0000-4000-8000-000000000004', 'p2', 1, NULL, NULL);
         INSERT INTO channels (id, project_id, kind, created_at, events) VALUES
           ('zeta', 'p1', 'slack', 1, ',down,up,reminder,'),
           ('alpha', 'p1', 'webhook', 1, ',success,fail,late,'),
           ('odd''id', 'p1', 'webhook', 1, ',up,nonsense,down,'),
           ('mute', 'p2', 'slack', 1, ',');
         INSERT INTO check_channels (check_id, channel_id) VALUES (1, 'zeta'), (1, 'alpha'), (1, 'odd''id'), (3, 'mute');
         INSERT INTO flips (id, check_id, created_at, old_status, new_status, reason) VALUES
           ('f1', 1, 10, 'up', 'down', 'timeout'), ('f3', 3, 10, 'up', 'down', 'timeout');
         INSERT INTO flips (id, check_id, created_at, old_status, new_status, reason, event) VALUES
           ('r1', 1, 20, 'down', 'down', 'still_down', 'reminder'), ('r2', 1, 30, 'down', 'down', 'still_down', 'reminder');
         INSERT INTO notifications (flip_id, channel_id, check_id, created_at, next_attempt_at, state) VALUES
           ('f1', 'zeta', 1, 10, 10, 'pending'), ('f3', 'mute', 3, 10, 10, 'delivered'),
           ('r1', 'zeta', 1, 20, 20, 'pending'), ('r2', 'zeta', 1, 30, 30, 'pending');",
    )
    .expect("rows in the shape before 0011");
    assert_eq!(one(&db, "SELECT listeners FROM checks WHERE id = 1")["listeners"], 1 | 2 | 4 | 8 | 16 | 32);
    migrate(&db, Some("0011"), None);

    let links: Vec<(i64, Vec<Channel>)> = vec![
        (
            1,
            vec![
                channel("zeta", &[EventKind::Down, EventKind::Up, EventKind::Reminder]),
                channel("alpha", &[EventKind::Success, EventKind::Fail, EventKind::Late]),
                channel("odd'id", &[EventKind::Up, EventKind::Down]),
            ],
        ),
        (2, vec![]),
        (3, vec![channel("mute", &[])]),
        (4, vec![]),
    ];
    for (id, channels) in links {
        let stored =
            one(&db, &format!("SELECT routes FROM checks WHERE id = {id}"))["routes"].as_str().map(str::to_owned);
        let stored = stored.expect("routes are text");
        let routes = Routes::from_stored(&stored).unwrap_or_else(|e| panic!("check {id}: {e}: {stored}"));
        let expected = Routes::to_channels(&channels);
        assert_eq!(routes, expected, "check {id}");
        assert_eq!(stored, expected.to_stored(), "check {id}: written exactly as Rust writes routes");
        // And read back through the check row, as the store reads it.
        assert_eq!(read_check(&db, id).routes, expected);
    }
    let sweep_at: Vec<Value> =
        query(&db, "SELECT sweep_at FROM checks ORDER BY id").into_iter().map(|r| r["sweep_at"].clone()).collect();
    assert_eq!(
        sweep_at,
        [Value::from(3000), Value::from(7000), Value::from(9000), Value::Null],
        "the earlier deadline"
    );
    let projects: Vec<Value> = query(&db, "SELECT project_id FROM notifications ORDER BY id")
        .into_iter()
        .map(|r| r["project_id"].clone())
        .collect();
    assert_eq!(projects, ["p1", "p2", "p1", "p1"].map(Value::from));
    assert_eq!(count(&db, "SELECT count(*) AS n FROM notifications WHERE coalesce_key IS NOT NULL"), 0);
    assert_eq!(count(&db, "SELECT count(*) AS n FROM projects WHERE routing_version = 0"), 2);
    // The sweep finds the backfilled deadlines through the new index.
    let due = run(&db, &Statement::new(due_checks(), vec![Arg::Int(8000), Arg::Int(10)]));
    let due: Vec<i64> = due.rows.iter().filter_map(|r| r["id"].as_i64()).collect();
    assert_eq!(due, [1, 2]);
}

// ---------------------------------------------------------------- query plans

fn query_plan(db: &Connection, sql: &str) -> String {
    let mut statement = db.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).expect("prepare");
    let nulls = vec![Sql::Null; statement.parameter_count()];
    let details: Vec<String> = statement
        .query_map(params_from_iter(nulls), |r| r.get(3))
        .expect("plan")
        .collect::<Result<_, _>>()
        .expect("rows");
    details.join("\n")
}

#[test]
fn due_checks_read_only_the_sweep_index_range() {
    let db = database(None);
    let plan = query_plan(&db, &due_checks());
    assert!(plan.contains("USING INDEX checks_sweep_at (sweep_at<?)"), "{plan}");
    assert!(!plan.contains("TEMP B-TREE"), "the index gives the order: {plan}");
}

/// Queues `n` pending notifications of project `project` (one check, one flip).
fn backlog(db: &Connection, project: &str, n: usize, due_at: i64) {
    let check = create(db, project, &format!("c-{project}"), &Routes::default(), 100).expect("a check");
    db.execute(
        "INSERT INTO flips (id, check_id, created_at, old_status, new_status, reason) VALUES (?1, ?2, 0, 'up', 'down', 'timeout')",
        rusqlite::params![format!("flip-{project}"), check.id],
    )
    .expect("a flip");
    let mut insert = db
        .prepare(
            "INSERT INTO notifications (flip_id, channel_id, check_id, project_id, created_at, next_attempt_at) \
             VALUES (?1, ?2, ?3, ?4, 0, ?5)",
        )
        .expect("prepare");
    for i in 0..n {
        insert
            .execute(rusqlite::params![
                format!("flip-{project}"),
                format!("ch{i}"),
                check.id,
                project,
                due_at + i as i64
            ])
            .expect("a notification");
    }
}

/// The due notifications at `now`, and the virtual machine steps the query took.
fn due(db: &Connection, now: i64, per_project: i64) -> (Vec<(i64, String)>, i32) {
    let mut statement = db.prepare(DUE_NOTIFICATIONS).expect("prepare");
    let rows: Vec<(i64, String)> = statement
        .query_map([now, per_project], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    (rows, statement.get_status(StatementStatus::VmStep))
}

#[test]
fn due_notifications_step_from_project_to_project_through_the_index() {
    let db = database(None);
    let plan = query_plan(&db, DUE_NOTIFICATIONS);
    println!("{plan}");
    assert!(
        !plan.lines().any(|l| l.contains("SCAN n") || l.contains("SCAN d") || l.contains("SCAN notifications")),
        "no full scan: {plan}"
    );
    assert!(
        plan.matches("INDEX notifications_due (project_id>?)").count() >= 1,
        "each step seeks the next project: {plan}"
    );
    assert!(
        plan.contains("INDEX notifications_due (project_id=? AND next_attempt_at<?)"),
        "each project's oldest: {plan}"
    );

    for project in ["a", "b", "c"] {
        add_project(&db, project);
    }
    backlog(&db, "a", 50, 100);
    backlog(&db, "b", 2, 100);
    backlog(&db, "c", 5, 10_000); // not due yet
    let (rows, small_steps) = due(&db, 1000, 3);
    let per_project = |p: &str| rows.iter().filter(|(_, project)| project == p).count();
    assert_eq!((per_project("a"), per_project("b"), per_project("c")), (3, 2, 0), "{rows:?}");

    // A claimed row is not due again until its claim lapses.
    let first_of_a = rows.iter().find(|(_, p)| p == "a").map(|(id, _)| *id).expect("a row of a");
    let claim = Statement::new(
        CLAIM,
        vec![Arg::text("claim-1"), Arg::Int(5000), Arg::Text(format!("[{first_of_a}]")), Arg::Int(1000)],
    );
    assert_eq!(run(&db, &claim).changes, 1);
    assert_eq!(run(&db, &claim).changes, 0, "claimed once");
    let (rows, _) = due(&db, 1000, 3);
    assert!(!rows.iter().any(|(id, _)| *id == first_of_a), "held by a live claim");
    let (rows, _) = due(&db, 5000, 3);
    assert!(rows.iter().any(|(id, _)| *id == first_of_a), "the claim lapsed");

    // What it reads does not grow with the backlog behind each project's oldest.
    let db2 = database(None);
    for project in ["a", "b", "c"] {
        add_project(&db2, project);
    }
    backlog(&db2, "a", 5_000, 100);
    backlog(&db2, "b", 2, 100);
    backlog(&db2, "c", 5, 10_000);
    let (rows, big_steps) = due(&db2, 1000, 3);
    assert_eq!(rows.len(), 5);
    assert_eq!(big_steps, small_steps, "the same steps for a backlog of 50 or 5,000");
}

// ---------------------------------------------------------------- plans

#[test]
fn a_success_ping_to_an_up_idle_check_is_two_statements_on_the_ring() {
    let db = database(None);
    add_project(&db, "p");
    let check = create(&db, "p", "job", &Routes::default(), 10).expect("created");
    let audience = Audience { routes: &check.routes, defaults: &[], windows: None };
    // The first ping makes it up.
    let expect = Expect::Row(Expected::of(&check, false));
    let (plan, _) = ping_plan(Subject::of(&check), ping(PingKind::Success, at(10)), expect, &audience, "seed-1");
    assert_eq!(apply(&db, &plan), Some(check.id));
    let check = read_check(&db, check.id);
    assert_eq!((check.state.status, check.n_pings), (Status::Up, 1));

    let expect = Expect::Row(Expected::idle_up(check.uuid, check.config_version));
    let (plan, _) =
        ping_plan(Subject::of(&check), ping(PingKind::Success, at(20)), expect.clone(), &audience, "seed-2");
    let planned = check_batch(&plan);
    for statement in &planned.statements {
        println!("{}\n  {:?}", statement.sql, statement.args);
    }
    assert_eq!(planned.statements.len(), 2, "the ping into its slot, and the row");
    assert!(planned.statements[0].sql.starts_with("INSERT INTO pings"));
    assert!(planned.statements[1].sql.starts_with("UPDATE checks SET n_pings = n_pings + 1, status = ?1"));
    assert_eq!(apply(&db, &plan), Some(check.id));
    let after = read_check(&db, check.id);
    assert_eq!((after.n_pings, after.state.last_ping), (2, Some(at(20))));
    let row = one(&db, &format!("SELECT sweep_at, alert_after, next_event_at FROM checks WHERE id = {}", check.id));
    let deadline = |column: &str| row[column].as_i64().map(Timestamp::from_millis);
    let deadlines = Deadlines { alert_after: deadline("alert_after"), next_event_at: deadline("next_event_at") };
    assert!(deadlines.alert_after.is_some());
    assert_eq!(deadline("sweep_at"), deadlines.sweep_at(), "the earlier deadline, written from the plan");
    assert_eq!(count(&db, "SELECT count(*) AS n FROM pings WHERE slot = 2 AND n = 2"), 1);

    // The ring: ping n takes slot n % history, replacing the ping before it.
    let mut check = after;
    for n in 3..=HISTORY + 3 {
        let expect = Expect::Row(Expected::idle_up(check.uuid, check.config_version));
        let (plan, _) = ping_plan(Subject::of(&check), ping(PingKind::Success, at(n)), expect, &audience, "seed");
        assert!(apply(&db, &plan).is_some());
        check.n_pings = n;
    }
    assert_eq!(count(&db, "SELECT count(*) AS n FROM pings"), HISTORY);
    assert_eq!(one(&db, "SELECT min(n) AS n FROM pings")["n"], HISTORY + 4 - HISTORY);

    // A plan decided from a state the row no longer holds writes nothing.
    let stale = Expected { failures: 1, ..Expected::idle_up(check.uuid, check.config_version) };
    let (plan, _) =
        ping_plan(Subject::of(&check), ping(PingKind::Success, at(500)), Expect::Row(stale), &audience, "x");
    assert_eq!(apply(&db, &plan), None);
    assert_eq!(read_check(&db, check.id).n_pings, HISTORY + 3);
    assert_eq!(count(&db, "SELECT count(*) AS n FROM pings WHERE created_at = 1700000500000"), 0);
}

#[test]
fn a_flip_queues_one_notification_per_recipient_with_its_project() {
    let db = database(None);
    add_project(&db, "p");
    let routes = Routes::to_channels(&[channel("a", &[EventKind::Up]), channel("b", &[EventKind::Down])]);
    let check = create(&db, "p", "job", &routes, 10).expect("created");
    let defaults = [channel("default-slack", &[EventKind::Up, EventKind::Down])];
    let audience = Audience { routes: &check.routes, defaults: &defaults, windows: None };
    let (plan, _) = ping_plan(
        Subject::of(&check),
        ping(PingKind::Success, at(1)),
        Expect::Row(Expected::of(&check, false)),
        &audience,
        "up",
    );
    assert!(apply(&db, &plan).is_some());
    let check = read_check(&db, check.id);
    let (plan, _) = ping_plan(
        Subject::of(&check),
        ping(PingKind::Fail, at(2)),
        Expect::Row(Expected::of(&check, false)),
        &audience,
        "flip-1",
    );
    assert_eq!(plan.flip.as_ref().map(|f| f.recipients.clone()), Some(vec!["b".into(), "default-slack".into()]));
    assert!(apply(&db, &plan).is_some());
    let rows = query(&db, "SELECT channel_id, project_id, flip_id, state FROM notifications ORDER BY channel_id");
    assert_eq!(rows.len(), 2);
    for (row, channel) in rows.iter().zip(["b", "default-slack"]) {
        assert_eq!((row["channel_id"].as_str(), row["project_id"].as_str()), (Some(channel), Some("p")));
        assert_eq!((row["flip_id"].as_str(), row["state"].as_str()), (Some("flip-1"), Some("pending")));
    }
    let flip = one(&db, "SELECT old_status, new_status, ping_n, previous_change_at FROM flips WHERE id = 'flip-1'");
    assert_eq!(
        (flip["old_status"].as_str(), flip["new_status"].as_str(), flip["ping_n"].as_i64()),
        (Some("up"), Some("down"), Some(2))
    );
    assert_eq!(flip["previous_change_at"].as_i64(), Some(at(1).millis()), "when it went up");
}

#[test]
fn coalescing_events_queue_one_pending_notification_per_check_channel_and_kind() {
    let db = database(None);
    add_project(&db, "p");
    let check = create(&db, "p", "job", &Routes::default(), 10).expect("created");
    let reminder = |id: &str, recipients: &[&str]| {
        let mut plan = CheckPlan::for_check(&check, Expect::Nothing, at(5));
        plan.events.push(EventWrite {
            id: id.into(),
            event: Event { kind: EventKind::Reminder, reason: FlipReason::StillDown, at: at(5) },
            recipients: recipients.iter().map(|r| (*r).to_owned()).collect(),
            with_ping: false,
            coalesce: true,
        });
        plan
    };
    assert!(apply(&db, &reminder("r1", &["a", "b"])).is_some());
    assert!(apply(&db, &reminder("r2", &["a", "c"])).is_some(), "the event is recorded either way");
    let queued = query(&db, "SELECT flip_id, channel_id FROM notifications ORDER BY id");
    let queued: Vec<String> = queued
        .iter()
        .map(|r| format!("{}:{}", r["flip_id"].as_str().unwrap_or(""), r["channel_id"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(queued, ["r1:a", "r1:b", "r2:c"], "a's reminder already waits");
    assert_eq!(count(&db, "SELECT count(*) AS n FROM flips WHERE event = 'reminder'"), 2);
    db.execute_batch("UPDATE notifications SET state = 'delivered' WHERE flip_id = 'r1' AND channel_id = 'a'")
        .expect("deliver");
    assert!(apply(&db, &reminder("r3", &["a"])).is_some());
    assert_eq!(
        count(&db, "SELECT count(*) AS n FROM notifications WHERE flip_id = 'r3'"),
        1,
        "sent, so the next one waits"
    );
}

#[test]
fn a_new_check_is_created_only_within_the_limit_and_with_a_free_slug() {
    let db = database(None);
    add_project(&db, "p");
    assert!(create(&db, "p", "one", &Routes::default(), 2).is_some());
    let second = create(&db, "p", "two", &Routes::default(), 2).expect("within the limit");
    assert_eq!(second.badge_key, format!("badge-{}", second.uuid), "the badge key made in Rust");
    assert_eq!(second.state.status, Status::New);
    assert!(create(&db, "p", "three", &Routes::default(), 2).is_none(), "at the limit");
    assert_eq!(count(&db, "SELECT count(*) AS n FROM checks"), 2);

    // A ping that creates its check by slug, with its routing as read.
    let by_ping = |slug: &str, version: i64| {
        let uuid = Uuid::random().expect("random");
        let mut plan = create_plan(
            NewKeys { uuid, badge_key: format!("b-{uuid}") },
            Owner::PingKey("hash-p".into()),
            CheckConfig::named_after_slug(slug),
            Routes::default(),
            at(1),
            10,
            Collisions { slug: true, unique: Vec::new() },
        );
        plan.ping = Some(ping(PingKind::Success, at(1)));
        plan.routing = Some(RoutingGuard { project_id: "p".into(), version });
        plan
    };
    assert!(apply(&db, &by_ping("two", 0)).is_none(), "the slug is taken");
    assert!(apply(&db, &by_ping("four", 7)).is_none(), "the routing changed since it was read");
    assert_eq!(count(&db, "SELECT count(*) AS n FROM pings"), 0, "nothing of a plan that did not apply");
    let id = apply(&db, &by_ping("four", 0)).expect("created with its ping");
    let created = read_check(&db, id);
    assert_eq!((created.n_pings, created.config.slug.as_str()), (1, "four"));
    assert_eq!(one(&db, "SELECT routing_version AS v FROM projects")["v"], 1);
    assert_eq!(count(&db, &format!("SELECT count(*) AS n FROM pings WHERE check_id = {id} AND n = 1 AND slot = 1")), 1);
}

/// A create of check `slug` that must collide with none holding `unique`.
fn create_unique(db: &Connection, slug: &str, unique: Vec<UniqueValue>, routing: Option<i64>) -> Option<i64> {
    let uuid = Uuid::random().expect("random");
    let mut config = CheckConfig::named_after_slug(slug);
    config.name = format!("name of {slug}");
    let mut plan = create_plan(
        NewKeys { uuid, badge_key: format!("b-{uuid}") },
        Owner::Project("p".into()),
        config,
        Routes::default(),
        at(0),
        10,
        Collisions { slug: false, unique },
    );
    plan.routing = routing.map(|version| RoutingGuard { project_id: "p".into(), version });
    apply(db, &plan)
}

#[test]
fn a_unique_create_happens_only_while_no_check_holds_all_its_values() {
    let db = database(None);
    add_project(&db, "p");
    let existing = create(&db, "p", "backup", &Routes::default(), 10).expect("created");
    let (name, grace) = (existing.config.name.clone(), existing.config.monitoring.grace);
    let timeout = match existing.config.monitoring.schedule {
        edgebeat::domain::check::Schedule::Simple { timeout } => timeout,
        _ => unreachable!("a new check has a simple schedule"),
    };
    let checks = |db: &Connection| count(db, "SELECT count(*) AS n FROM checks");
    for held in [
        vec![UniqueValue::Name(name.clone())],
        vec![UniqueValue::Slug("backup".into()), UniqueValue::Grace(grace)],
        vec![UniqueValue::Timeout(timeout), UniqueValue::Tags(String::new())],
    ] {
        assert_eq!(create_unique(&db, "new", held.clone(), None), None, "the existing check holds {held:?}");
        assert_eq!(create_unique(&db, "new", held.clone(), Some(0)), None, "with a routing guard too: {held:?}");
    }
    assert_eq!(checks(&db), 1);
    assert_eq!(one(&db, "SELECT routing_version AS v FROM projects")["v"], 0, "the claim was never taken");
    // A value the existing check does not hold, or free text that would
    // break a statement if it were not bound.
    let quoted = UniqueValue::Name("it's; DROP TABLE checks; --\u{0}".into());
    assert!(create_unique(&db, "other", vec![UniqueValue::Name(name), UniqueValue::Grace(grace + 1)], None).is_some());
    assert!(create_unique(&db, "quoted", vec![quoted.clone()], Some(0)).is_some());
    assert_eq!(checks(&db), 3);
    // The timeout of a cron check is no period: it matches nothing.
    db.execute("UPDATE checks SET kind = 'cron', schedule = '0 * * * *' WHERE slug = 'backup'", []).expect("to cron");
    db.execute("UPDATE checks SET timeout = 1 WHERE slug <> 'backup'", []).expect("other periods");
    assert!(create_unique(&db, "cron", vec![UniqueValue::Timeout(timeout)], None).is_some());
    assert_eq!(checks(&db), 4);
}

// ---------------------------------------------------------------- windows

fn add_window(db: &Connection, id: &str, project: &str, created_at: i64, tz: &str) {
    db.execute(
        "INSERT INTO maintenance_windows (id, project_id, name, schedule, tz, duration, start_at, end_at, tags, checks, created_at) \
         VALUES (?1, ?2, ?1, '0 3 * * *', ?3, 3600, NULL, NULL, 'db', '', ?4)",
        rusqlite::params![id, project, tz, created_at],
    )
    .expect("insert a window");
}

fn window_ids(rows: Vec<Value>) -> (Vec<(String, String)>, Vec<String>) {
    let (windows, problems) = windows_of(rows);
    (windows.into_iter().map(|(p, w)| (p, w.id)).collect(), problems.iter().map(ToString::to_string).collect())
}

fn query_with(db: &Connection, sql: &str, arg: &str) -> Vec<Value> {
    run(db, &Statement::new(sql, vec![Arg::text(arg)])).rows
}

#[test]
fn windows_are_read_one_project_or_many_at_once_and_an_unreadable_row_is_left_out() {
    let db = database(None);
    for project in ["a", "b", "c"] {
        add_project(&db, project);
    }
    add_window(&db, "a2", "a", 20, "UTC");
    add_window(&db, "a1", "a", 10, "Europe/Riga");
    add_window(&db, "a-bad", "a", 15, "Mars/Olympus");
    add_window(&db, "b1", "b", 5, "UTC");
    add_window(&db, "c1", "c", 1, "UTC");

    let (windows, problems) = window_ids(query_with(&db, &windows_of_project(), "a"));
    assert_eq!(windows, [("a".into(), "a1".into()), ("a".into(), "a2".into())], "oldest first");
    assert_eq!(problems.len(), 1);
    assert!(problems[0].contains("maintenance window a-bad"), "{problems:?}");

    let (windows, problems) = window_ids(query_with(&db, &windows_of_projects(), r#"["b","a","nope"]"#));
    let expected = [("a", "a1"), ("a", "a2"), ("b", "b1")].map(|(p, w)| (p.to_owned(), w.to_owned()));
    assert_eq!(windows, expected, "by project, then oldest first; c was not asked for");
    assert_eq!(problems.len(), 1);
    assert!(window_ids(query_with(&db, &windows_of_projects(), "[]")).0.is_empty());

    // Both read ranges of the project index, never the whole table.
    for sql in [windows_of_project(), windows_of_projects()] {
        let plan = query_plan(&db, &sql);
        assert!(plan.contains("maintenance_by_project"), "{sql}: {plan}");
        assert!(!plan.contains("SCAN maintenance_windows"), "{sql}: {plan}");
    }
}

#[test]
fn the_sweep_writes_only_against_the_deadlines_it_read_and_reschedules_unreadable_rows() {
    let db = database(None);
    add_project(&db, "p");
    let check =
        create(&db, "p", "job", &Routes::to_channels(&[channel("a", &[EventKind::Down])]), 10).expect("created");
    let audience = Audience { routes: &check.routes, defaults: &[], windows: None };
    let (plan, _) = ping_plan(
        Subject::of(&check),
        ping(PingKind::Success, at(0)),
        Expect::Row(Expected::of(&check, false)),
        &audience,
        "up",
    );
    assert!(apply(&db, &plan).is_some());
    let check = read_check(&db, check.id);
    let row = one(&db, &format!("SELECT alert_after, next_event_at FROM checks WHERE id = {}", check.id));
    let seen = Deadlines {
        alert_after: row["alert_after"].as_i64().map(Timestamp::from_millis),
        next_event_at: row["next_event_at"].as_i64().map(Timestamp::from_millis),
    };
    let late = seen.alert_after.expect("a deadline").plus_millis(1);
    let stale = Deadlines { alert_after: seen.alert_after.map(|t| t.plus_millis(-1)), ..seen };
    assert_eq!(apply(&db, &sweep_plan(&check, stale, late, late, &audience, "s0")), None);
    let plan = sweep_plan(&check, seen, late, late, &audience, "s1");
    assert!(plan.flip.is_some(), "it goes down");
    assert!(apply(&db, &plan).is_some());
    assert_eq!(read_check(&db, check.id).state.status, Status::Down);
    assert_eq!(count(&db, "SELECT count(*) AS n FROM notifications WHERE flip_id = 's1' AND channel_id = 'a'"), 1);
    assert_eq!(apply(&db, &plan), None, "a second sweep with the same reading writes nothing");

    let row = one(&db, &format!("SELECT alert_after, next_event_at, sweep_at FROM checks WHERE id = {}", check.id));
    let seen = Deadlines {
        alert_after: row["alert_after"].as_i64().map(Timestamp::from_millis),
        next_event_at: row["next_event_at"].as_i64().map(Timestamp::from_millis),
    };
    let retry = at(10_000);
    assert!(apply(&db, &reschedule_plan(check.id, seen, late, retry)).is_some());
    let row = one(&db, &format!("SELECT alert_after, next_event_at, sweep_at FROM checks WHERE id = {}", check.id));
    let moved = |v: &Value, was: Option<Timestamp>| v.as_i64().map(Timestamp::from_millis) == was.map(|_| retry);
    assert!(moved(&row["alert_after"], seen.alert_after) && moved(&row["next_event_at"], seen.next_event_at), "{row}");
    assert_eq!(row["sweep_at"].as_i64(), seen.sweep_at().map(|_| retry.millis()));
}

#[test]
fn a_channel_plan_saves_within_the_limit_and_reroutes_only_with_the_routing_as_read() {
    let db = database(None);
    add_project(&db, "p");
    let check = create(&db, "p", "job", &Routes::default(), 10).expect("created");
    let plan = |id: &str, version: i64, max: i64| {
        let new = channel(id, &[EventKind::Down]);
        ChannelPlan {
            reroutes: vec![Reroute {
                check_id: check.id,
                uuid: check.uuid,
                routes: check.routes.with_channel(&new, true),
            }],
            channel: new,
            change: ChannelChange::Save { max_channels: max, at: at(1) },
            routing: RoutingGuard { project_id: "p".into(), version },
            audit: None,
        }
    };
    let outcome = |plan: &ChannelPlan| {
        let planned = channel_batch("p", plan);
        let ran = batch(&db, &planned.statements);
        if ran[planned.claim].changes > 0 {
            "applied"
        } else if ran[planned.version].rows.first().and_then(|r| r["version"].as_i64()) == Some(plan.routing.version)
            && matches!(plan.change, ChannelChange::Save { .. })
        {
            "at limit"
        } else {
            "stale"
        }
    };
    assert_eq!(outcome(&plan("c1", 0, 1)), "applied");
    let after = read_check(&db, check.id);
    assert_eq!((after.routes.channel_ids(), after.config_version), (vec!["c1".to_owned()], 1));
    assert_eq!(one(&db, "SELECT routing_version AS v FROM projects")["v"], 1);
    assert_eq!(outcome(&plan("c2", 0, 5)), "stale");
    assert_eq!(outcome(&plan("c2", 1, 1)), "at limit");
    assert_eq!(outcome(&plan("c1", 1, 1)), "applied", "replacing its own channel needs no room");
    assert_eq!(count(&db, "SELECT count(*) AS n FROM channels"), 1);
    assert_eq!(read_check(&db, check.id).config_version, 2);
    let delete = ChannelPlan {
        channel: channel("c1", &[]),
        change: ChannelChange::Delete,
        reroutes: vec![Reroute { check_id: check.id, uuid: check.uuid, routes: Routes::default() }],
        routing: RoutingGuard { project_id: "p".into(), version: 2 },
        audit: None,
    };
    assert_eq!(outcome(&delete), "applied");
    assert_eq!(count(&db, "SELECT count(*) AS n FROM channels"), 0);
    assert!(read_check(&db, check.id).routes.is_empty());
    assert_eq!(one(&db, "SELECT routing_version AS v FROM projects")["v"], 3);
}

#[test]
fn an_edit_with_new_routes_applies_only_with_the_routing_and_the_row_as_read() {
    let db = database(None);
    add_project(&db, "p");
    let check = create(&db, "p", "job", &Routes::default(), 10).expect("created");
    let routes = Routes::to_channels(&[channel("a", &[EventKind::Down])]);
    let mut config = check.config.clone();
    config.name = "renamed".into();
    let edit = |check: &Check, version: i64| {
        let guard = RoutingGuard { project_id: "p".into(), version };
        edit_plan(check, config.clone(), Some((routes.clone(), guard)), at(3))
    };
    // Another change of the project's routing since it was read: nothing.
    assert_eq!(apply(&db, &edit(&check, 4)), None);
    assert_eq!(read_check(&db, check.id).config.name, "job");
    assert_eq!(one(&db, "SELECT routing_version AS v FROM projects")["v"], 0, "the claim was never taken");
    // Another change of the check since it was read (with the routing as read): nothing either.
    let stale = Check { config_version: check.config_version + 1, ..check.clone() };
    assert_eq!(apply(&db, &edit(&stale, 0)), None);
    assert_eq!(one(&db, "SELECT routing_version AS v FROM projects")["v"], 0);
    assert_eq!(apply(&db, &edit(&check, 0)), Some(check.id));
    let after = read_check(&db, check.id);
    assert_eq!((after.config.name.as_str(), &after.routes, after.config_version), ("renamed", &routes, 1));
    assert_eq!(one(&db, "SELECT routing_version AS v FROM projects")["v"], 1);
    // The row as read, the routing one change behind: nothing, and the version stays.
    assert_eq!(apply(&db, &edit(&after, 0)), None);
    assert_eq!(read_check(&db, check.id).config_version, 1);
    assert_eq!(one(&db, "SELECT routing_version AS v FROM projects")["v"], 1);
}

// ---------------------------------------------------------------- people (migration 0012)

fn entry(project: &str, check: Option<Uuid>, action: &str) -> AuditWrite {
    AuditWrite::new(project, check, at(1), "ada@example.com", action, serde_json::json!({"what": action}))
}

fn apply_member(db: &Connection, plan: &MemberPlan) -> MemberApplied {
    let planned = member_batch(plan);
    let ran = batch(db, &planned.statements);
    if ran[planned.write].changes > 0 {
        return MemberApplied::Applied;
    }
    let state = &ran[planned.state].rows[0];
    let role = state["role"].as_str().and_then(Role::parse);
    why_not_applied(plan, state["project"].as_i64() == Some(1), role, state["owners"].as_i64().unwrap_or(0))
}

fn member(db: &Connection, project: &str, email: &str, change: MemberChange) -> MemberApplied {
    apply_member(db, &member_plan(project, email, change, entry(project, None, "member")))
}

fn log_actions(db: &Connection, project: &str, check: Option<&Uuid>) -> Vec<String> {
    let mut statement = Statement::new(
        audit_entries(check.is_some()),
        vec![Arg::text(project), Arg::opt_text(check.map(Uuid::to_string).as_deref()), Arg::Null, Arg::Int(100)],
    );
    statement.args.truncate(4);
    run(db, &statement).rows.iter().map(|r| r["action"].as_str().unwrap_or_default().to_owned()).collect()
}

#[test]
fn members_keep_an_owner_and_log_only_what_applied() {
    let db = database(None);
    add_project(&db, "p1");
    assert_eq!(member(&db, "p1", "ada@example.com", MemberChange::Save(Role::Owner)), MemberApplied::Applied);
    assert_eq!(member(&db, "p1", "bo@example.com", MemberChange::Save(Role::Viewer)), MemberApplied::Applied);
    assert_eq!(member(&db, "p1", "bo@example.com", MemberChange::Save(Role::Member)), MemberApplied::Applied);
    assert_eq!(member(&db, "p1", "ada@example.com", MemberChange::Remove), MemberApplied::LastOwner);
    assert_eq!(member(&db, "p1", "ada@example.com", MemberChange::Save(Role::Viewer)), MemberApplied::LastOwner);
    assert_eq!(member(&db, "p1", "zed@example.com", MemberChange::Remove), MemberApplied::NotAMember);
    assert_eq!(member(&db, "nope", "x@example.com", MemberChange::Save(Role::Owner)), MemberApplied::NoProject);
    assert_eq!(member(&db, "p1", "bo@example.com", MemberChange::Save(Role::Owner)), MemberApplied::Applied);
    assert_eq!(
        member(&db, "p1", "ada@example.com", MemberChange::Remove),
        MemberApplied::Applied,
        "another owner remains"
    );
    assert_eq!(count(&db, "SELECT count(*) AS n FROM members WHERE project_id = 'p1'"), 1);
    assert_eq!(one(&db, "SELECT role FROM members WHERE email = 'bo@example.com'")["role"], "owner");
    assert_eq!(count(&db, "SELECT count(*) AS n FROM audit"), 5, "one entry per change that applied");
    let mut full = member_plan("p1", "new@example.com", MemberChange::Save(Role::Viewer), entry("p1", None, "member"));
    full.max_members = 1;
    assert_eq!(apply_member(&db, &full), MemberApplied::AtLimit);
    assert_eq!(count(&db, "SELECT count(*) AS n FROM audit"), 5);
}

#[test]
fn a_plans_log_entry_is_written_in_its_batch_only_when_it_applies() {
    let db = database(None);
    add_project(&db, "p1");
    let check = create(&db, "p1", "backup", &Routes::default(), 10).expect("created");
    let mut stale = CheckPlan::for_check(&check, Expect::Row(Expected::of(&check, false)), at(2));
    stale.audit = Some(entry("p1", Some(check.uuid), "check.pause"));
    db.execute("UPDATE checks SET config_version = config_version + 1", []).expect("another write");
    assert_eq!(apply(&db, &stale), None);
    assert_eq!(log_actions(&db, "p1", None), Vec::<String>::new());
    let fresh_check = read_check(&db, check.id);
    let mut fresh = CheckPlan::for_check(&fresh_check, Expect::Row(Expected::of(&fresh_check, false)), at(3));
    fresh.audit = Some(entry("p1", Some(check.uuid), "check.pause"));
    fresh.state = Some(edgebeat::domain::plan::StateWrite {
        state: fresh_check.state.clone(),
        alert_after: None,
        changed_at: None,
    });
    assert_eq!(apply(&db, &fresh), Some(check.id));

    let uuid = Uuid::random().expect("random");
    let mut created = create_plan(
        NewKeys { uuid, badge_key: format!("badge-{uuid}") },
        Owner::Project("p1".into()),
        CheckConfig::named_after_slug("two"),
        Routes::default(),
        at(4),
        10,
        Collisions { slug: false, unique: Vec::new() },
    );
    created.audit = Some(entry("p1", Some(uuid), "check.create"));
    assert!(apply(&db, &created).is_some());
    let mut refused = created.clone();
    refused.target = match created.target.clone() {
        edgebeat::domain::plan::Target::New(mut new) => {
            new.uuid = Uuid::random().expect("random");
            new.badge_key = "another".into();
            new.max_checks = 1;
            edgebeat::domain::plan::Target::New(new)
        }
        other => other,
    };
    assert_eq!(apply(&db, &refused), None, "at the check limit");

    let version = one(&db, "SELECT routing_version AS v FROM projects WHERE id = 'p1'")["v"].as_i64().unwrap();
    let mut channel_plan = ChannelPlan {
        channel: channel("c1", &[EventKind::Down]),
        change: ChannelChange::Save { max_channels: 5, at: at(5) },
        reroutes: Vec::new(),
        routing: RoutingGuard { project_id: "p1".into(), version: version + 1 },
        audit: Some(entry("p1", None, "channel.create")),
    };
    batch(&db, &channel_batch("p1", &channel_plan).statements);
    channel_plan.routing.version = version;
    batch(&db, &channel_batch("p1", &channel_plan).statements);

    batch(&db, &delete_check(check.id, Some(&entry("p1", Some(check.uuid), "check.delete"))));
    batch(&db, &delete_check(check.id, Some(&entry("p1", Some(check.uuid), "check.delete"))));
    assert_eq!(log_actions(&db, "p1", None), ["check.delete", "channel.create", "check.create", "check.pause"]);
    assert_eq!(log_actions(&db, "p1", Some(&check.uuid)), ["check.delete", "check.pause"]);
}

#[test]
fn deleting_a_project_cascades_to_everything_of_it_but_its_log() {
    let db = database(None);
    add_project(&db, "p1");
    add_project(&db, "p2");
    db.execute_batch(
        "INSERT INTO api_keys (key_hash, project_id, read_only, created_at) VALUES ('k1', 'p1', 0, 0), ('k2', 'p2', 0, 0);",
    )
    .expect("keys");
    member(&db, "p1", "ada@example.com", MemberChange::Save(Role::Owner));
    let check = create(&db, "p1", "backup", &Routes::default(), 10).expect("created");
    let mut pinged = CheckPlan::for_check(&check, Expect::Row(Expected::of(&check, false)), at(2));
    pinged.ping = Some(ping(PingKind::Success, at(2)));
    apply(&db, &pinged);
    create(&db, "p2", "kept", &Routes::default(), 10).expect("created");
    let ran = batch(&db, &delete_project("p1", &entry("p1", None, "project.delete")));
    assert_eq!(ran[1].changes, 1);
    for table in ["projects", "api_keys", "members", "channels", "maintenance_windows"] {
        assert_eq!(
            count(
                &db,
                &format!("SELECT count(*) AS n FROM {table} WHERE project_id = 'p1'")
                    .replace("projects WHERE project_id", "projects WHERE id")
            ),
            0,
            "{table}"
        );
    }
    assert_eq!(count(&db, "SELECT count(*) AS n FROM checks WHERE project_id = 'p1'"), 0);
    assert_eq!(count(&db, "SELECT count(*) AS n FROM pings"), 0);
    assert_eq!(count(&db, "SELECT count(*) AS n FROM checks WHERE project_id = 'p2'"), 1);
    assert_eq!(count(&db, "SELECT count(*) AS n FROM api_keys WHERE project_id = 'p2'"), 1);
    assert_eq!(log_actions(&db, "p1", None).first().map(String::as_str), Some("project.delete"));
    let again = batch(&db, &delete_project("p1", &entry("p1", None, "project.delete")));
    assert_eq!(again[1].changes, 0);
    assert_eq!(count(&db, "SELECT count(*) AS n FROM audit WHERE action = 'project.delete'"), 1);
}

#[test]
fn new_keys_replace_the_old_and_the_log_is_pruned() {
    let db = database(None);
    add_project(&db, "p1");
    db.execute_batch("INSERT INTO api_keys (key_hash, project_id, read_only, created_at) VALUES ('old-rw', 'p1', 0, 0), ('old-ro', 'p1', 1, 0);")
        .expect("keys");
    let ran = batch(&db, &replace_api_keys("p1", "new-rw", "new-ro", &entry("p1", None, "keys.replace"), at(3)));
    assert_eq!(ran[2].changes, 2);
    assert_eq!(count(&db, "SELECT count(*) AS n FROM api_keys WHERE key_hash LIKE 'old-%'"), 0);
    assert_eq!(one(&db, "SELECT read_only FROM api_keys WHERE key_hash = 'new-ro'")["read_only"], 1);
    let none = batch(&db, &replace_api_keys("nope", "x", "y", &entry("nope", None, "keys.replace"), at(3)));
    assert_eq!(none[2].changes, 0);
    assert_eq!(count(&db, "SELECT count(*) AS n FROM audit"), 1, "nothing logged for no project");
    for (n, secs) in [1, 2, 900].into_iter().enumerate() {
        let mut old = entry("p1", None, &format!("x{n}"));
        old.at = at(secs);
        batch(&db, &[audit_insert(&old, "1")]);
    }
    batch(&db, &[Statement::new(PRUNE_AUDIT, vec![Arg::time(at(100))])]);
    assert_eq!(log_actions(&db, "p1", None), ["x2"]);
    let plan = query_plan(&db, &audit_entries(false));
    assert!(plan.contains("audit_by_project"), "{plan}");
}

// ---------------------------------------------------------------- status pages

fn status_page(slug: &str, project: &str, at_s: i64) -> StatusPage {
    let spec = parse_page(format!(r#"{{"slug": "{slug}", "title": "{slug}", "tags": "public web"}}"#).as_bytes(), None)
        .expect("a page spec");
    spec.into_page(project, at(at_s), at(at_s))
}

fn pages_of(db: &Connection, project: &str) -> Vec<StatusPage> {
    run(db, &status_pages::of_project(project))
        .rows
        .into_iter()
        .map(|row| serde_json::from_value::<StoredPage>(row).expect("a page row").into_page().expect("readable"))
        .collect()
}

/// `D1Store::create_status_page`: the batch, and what its two results say.
fn create_page(db: &Connection, page: &StatusPage, max: i64) -> &'static str {
    let ran = batch(db, &status_pages::create(page, max));
    match (ran[0].changes, ran[1].rows[0]["n"].as_i64()) {
        (1, _) => "created",
        (_, Some(n)) if n > 0 => "taken",
        _ => "at limit",
    }
}

#[test]
fn status_pages_keep_slugs_unique_and_the_limit_per_project_and_read_back() {
    let db = database(None);
    assert_eq!(create_page(&db, &status_page("acme", "p1", 1), 2), "created");
    assert_eq!(create_page(&db, &status_page("acme", "p2", 2), 2), "taken", "another project, same slug");
    assert_eq!(create_page(&db, &status_page("beta", "p1", 3), 2), "created");
    assert_eq!(create_page(&db, &status_page("gamma", "p1", 4), 2), "at limit");
    assert_eq!(count(&db, "SELECT count(*) AS n FROM status_pages"), 2);
    let pages = pages_of(&db, "p1");
    assert_eq!(pages.iter().map(|p| p.slug.as_str()).collect::<Vec<_>>(), ["acme", "beta"]);
    assert_eq!(pages[0], status_page("acme", "p1", 1), "read back as written");

    let mut changed = status_page("acme", "p1", 9);
    changed.title = "Renamed".into();
    changed.show_descriptions = true;
    let other = StatusPage { project_id: "p2".into(), ..changed.clone() };
    assert_eq!(run(&db, &status_pages::replace(&other)).changes, 0, "only the owner replaces");
    assert_eq!(run(&db, &status_pages::replace(&changed)).changes, 1);
    let row = run(&db, &status_pages::by_slug("acme")).rows.remove(0);
    let stored = serde_json::from_value::<StoredPage>(row).expect("row").into_page().expect("readable");
    assert_eq!((stored.title.as_str(), stored.show_descriptions), ("Renamed", true));
    assert_eq!((stored.created_at, stored.updated_at), (at(1), at(9)), "its creation time stays");

    assert_eq!(run(&db, &status_pages::delete("p2", "acme")).changes, 0);
    assert_eq!(run(&db, &status_pages::delete("p1", "acme")).changes, 1);
    assert!(run(&db, &status_pages::by_slug("acme")).rows.is_empty());
    assert_eq!(create_page(&db, &status_page("acme", "p2", 10), 2), "created", "a freed slug can be taken");
    let plan = query_plan(&db, &status_pages::of_project("p1").sql);
    assert!(plan.contains("USING INDEX status_pages_by_project"), "{plan}");
}

#[test]
fn status_changes_read_each_checks_range_of_the_flip_index_newest_first() {
    let db = database(None);
    add_project(&db, "p1");
    let routes = Routes::default();
    let (a, b, c) = (
        create(&db, "p1", "a", &routes, 10).expect("a").id,
        create(&db, "p1", "b", &routes, 10).expect("b").id,
        create(&db, "p1", "c", &routes, 10).expect("c").id,
    );
    for (i, (check, at_s, old, new, event)) in [
        (a, 1, "new", "up", None),
        (b, 2, "new", "up", None),
        (a, 3, "up", "down", None),
        (a, 3, "down", "down", Some("fail")),
        (c, 3, "new", "up", None),
        (b, 3, "up", "paused", None),
    ]
    .into_iter()
    .enumerate()
    {
        db.execute(
            "INSERT INTO flips (id, check_id, created_at, old_status, new_status, reason, event) \
             VALUES (?1, ?2, ?3, ?4, ?5, '', ?6)",
            rusqlite::params![format!("f{i}"), check, at(at_s).millis(), old, new, event],
        )
        .expect("insert a flip");
    }
    let listed = |ids: &[i64], from: i64, limit: i64| -> Vec<(i64, i64, String, String)> {
        run(&db, &status_pages::status_changes(ids, at(from), limit))
            .rows
            .iter()
            .map(|r| {
                (
                    r["check_id"].as_i64().unwrap_or_default(),
                    (r["created_at"].as_i64().unwrap_or_default() - at(0).millis()) / 1000,
                    r["old_status"].as_str().unwrap_or_default().to_owned(),
                    r["new_status"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    };
    let s = |text: &str| text.to_owned();
    assert_eq!(
        listed(&[a, b], 2, 10),
        [(b, 3, s("up"), s("paused")), (a, 3, s("up"), s("down")), (b, 2, s("new"), s("up"))],
        "events and other checks left out; at the same instant the one written last first"
    );
    assert_eq!(listed(&[a, b], 0, 2).len(), 2);
    assert!(listed(&[], 0, 10).is_empty());
    let plan = query_plan(&db, &status_pages::status_changes(&[a, b], at(0), 10).sql);
    assert!(plan.contains("USING INDEX flips_by_check (check_id=? AND created_at>?)"), "{plan}");
}

#[test]
fn a_failing_mark_writes_once_with_its_notice_only_for_the_channel_as_configured_and_an_edit_clears_it() {
    use edgebeat::d1_sql::plan::{clear_failing, failing_batch};
    use edgebeat::domain::plan::{FailingMark, NoticeWrite};
    let db = database(None);
    add_project(&db, "p");
    let check = create(&db, "p", "job", &Routes::default(), 10).expect("created");
    let save = |id: &str, version: i64| ChannelPlan {
        channel: channel(id, &[EventKind::Down]),
        change: ChannelChange::Save { max_channels: 10, at: at(1) },
        reroutes: Vec::new(),
        routing: RoutingGuard { project_id: "p".into(), version },
        audit: None,
    };
    for (version, id) in ["c1", "c2"].iter().enumerate() {
        batch(&db, &channel_batch("p", &save(id, version as i64)).statements);
    }
    let config = channel("c1", &[]).config.to_stored();
    let mark = |id: &str, config: &str, notice: &str| FailingMark {
        project_id: "p".into(),
        channel_id: id.into(),
        config: config.into(),
        reason: "HTTP 410".into(),
        at: at(5),
        notice: Some(NoticeWrite {
            id: notice.into(),
            check_id: check.id,
            status: Status::Down,
            detail: r#"{"channel": "c1"}"#.into(),
            recipients: vec!["c2".into(), "default-slack".into()],
        }),
    };
    let marked = |m: &FailingMark| {
        let planned = failing_batch(m);
        batch(&db, &planned.statements)[planned.witness].changes > 0
    };
    assert!(!marked(&mark("c1", "{\"kind\": \"other\"}", "n0")), "an edited channel is not marked");
    assert_eq!(count(&db, "SELECT count(*) AS n FROM flips WHERE id = 'n0'"), 0);
    assert!(marked(&mark("c1", &config, "n1")));
    let row = one(&db, "SELECT failing, failing_since FROM channels WHERE id = 'c1'");
    assert_eq!((row["failing"].as_str(), row["failing_since"].as_i64()), (Some("HTTP 410"), Some(at(5).millis())));
    let notice = one(&db, "SELECT event, reason, notice, old_status, new_status FROM flips WHERE id = 'n1'");
    assert_eq!(notice["event"], "channel_failing");
    assert_eq!(notice["notice"], r#"{"channel": "c1"}"#);
    assert_eq!((notice["old_status"].as_str(), notice["new_status"].as_str()), (Some("down"), Some("down")));
    let queued = query(&db, "SELECT channel_id, project_id, state, next_attempt_at FROM notifications WHERE flip_id = 'n1' ORDER BY channel_id");
    assert_eq!(queued.len(), 2);
    assert_eq!((queued[0]["channel_id"].as_str(), queued[0]["project_id"].as_str()), (Some("c2"), Some("p")));
    assert_eq!(queued[0]["next_attempt_at"].as_i64(), Some(at(5).millis()));
    assert!(!marked(&mark("c1", &config, "n2")), "marked once: no second notice");
    assert_eq!(count(&db, "SELECT count(*) AS n FROM flips WHERE id = 'n2'"), 0);
    // The history of the check's flips never shows a notice.
    assert_eq!(
        count(&db, &format!("SELECT count(*) AS n FROM flips WHERE check_id = {} AND event IS NULL", check.id)),
        0
    );

    let cleared = |config: &str| run(&db, &clear_failing("p", "c1", config)).changes;
    assert_eq!(cleared("{}"), 0, "only as configured");
    assert_eq!(cleared(&config), 1);
    assert_eq!(one(&db, "SELECT failing FROM channels WHERE id = 'c1'")["failing"], Value::Null);
    assert!(marked(&mark("c1", &config, "n3")));
    batch(&db, &channel_batch("p", &save("c1", 2)).statements);
    assert_eq!(one(&db, "SELECT failing FROM channels WHERE id = 'c1'")["failing"], Value::Null, "an edit clears it");
}

// ---------------------------------------------------------------- run reports

#[test]
fn a_start_or_end_with_a_run_id_is_recorded_once_per_check() {
    let db = database(None);
    add_project(&db, "p");
    let check = create(&db, "p", "job", &Routes::default(), 10).expect("created");
    let other = create(&db, "p", "other", &Routes::default(), 10).expect("created");
    let audience = Audience { routes: &check.routes, defaults: &[], windows: None };
    let rid = Uuid::parse("a0000000-0000-4000-8000-000000000001").expect("a uuid");
    let report = |check: &Check, kind: PingKind, when: i64, seed: &str| {
        let ping = NewPing { rid: Some(rid), ..ping(kind, at(when)) };
        ping_plan(Subject::of(check), ping, Expect::Row(Expected::of(check, true)), &audience, seed).0
    };
    let start = report(&check, PingKind::Start, 10, "s1");
    let planned = check_batch(&start);
    assert!(planned.statements[0].sql.starts_with("SELECT EXISTS (SELECT 1 FROM run_reports"));
    assert!(planned.statements[1].sql.starts_with("INSERT INTO run_reports"));
    assert!(
        planned.statements[2..].iter().all(|s| s.sql.contains("token = 's1'")),
        "the rest needs this plan's report"
    );
    assert_eq!(apply_reporting(&db, &start), (Some(check.id), false));
    let check = read_check(&db, check.id);
    assert_eq!((check.n_pings, check.state.last_start), (1, Some(at(10))));
    let row = one(&db, "SELECT check_id, rid, edge, token, created_at FROM run_reports");
    assert_eq!(row["edge"], "start");
    assert_eq!((row["token"].as_str(), row["created_at"].as_i64()), (Some("s1"), Some(at(10).millis())));

    // The same start again, decided from the check as it is: acknowledged, nothing written.
    assert_eq!(apply_reporting(&db, &report(&check, PingKind::Start, 12, "s2")), (None, true));
    assert_eq!(read_check(&db, check.id), check);
    assert_eq!(count(&db, "SELECT count(*) AS n FROM pings"), 1);
    // The same run id on another check is that check's own report.
    assert_eq!(apply_reporting(&db, &report(&other, PingKind::Start, 12, "o1")).0, Some(other.id));
    // Its end is news; a second end is not.
    let end = report(&check, PingKind::Success, 70, "e1");
    assert_eq!(apply_reporting(&db, &end), (Some(check.id), false));
    let ended = read_check(&db, check.id);
    assert_eq!((ended.n_pings, ended.state.last_duration), (2, Some(60_000)));
    assert_eq!(apply_reporting(&db, &report(&ended, PingKind::Fail, 80, "e2")), (None, true));
    assert_eq!(read_check(&db, check.id), ended);
    assert_eq!(count(&db, "SELECT count(*) AS n FROM run_reports"), 3);
}

#[test]
fn a_run_report_is_not_recorded_when_the_plan_s_conditions_fail_and_old_ones_are_pruned() {
    let db = database(None);
    add_project(&db, "p");
    let check = create(&db, "p", "job", &Routes::default(), 10).expect("created");
    let audience = Audience { routes: &check.routes, defaults: &[], windows: None };
    let rid = Uuid::parse("a0000000-0000-4000-8000-000000000002").expect("a uuid");
    let ping_with = |check: &Check, kind: PingKind, when: i64, seed: &str| {
        let ping = NewPing { rid: Some(rid), ..ping(kind, at(when)) };
        ping_plan(Subject::of(check), ping, Expect::Row(Expected::of(check, false)), &audience, seed).0
    };
    // Decided from a check that changed since: nothing, not even the report.
    let stale = Check { config_version: check.config_version + 1, ..check.clone() };
    assert_eq!(apply_reporting(&db, &ping_with(&stale, PingKind::Success, 5, "x")), (None, false));
    assert_eq!(count(&db, "SELECT count(*) AS n FROM run_reports"), 0);
    assert_eq!(count(&db, "SELECT count(*) AS n FROM pings"), 0);
    assert_eq!(apply_reporting(&db, &ping_with(&check, PingKind::Success, 5, "y")), (Some(check.id), false));
    // Pruned by age, through the index.
    let plan = query_plan(&db, &prune_run_reports());
    assert!(plan.contains("run_reports_by_age (created_at<?)"), "{plan}");
    let prune = |before: Timestamp| batch(&db, &[Statement::new(prune_run_reports(), vec![Arg::time(before)])]);
    prune(at(5));
    assert_eq!(count(&db, "SELECT count(*) AS n FROM run_reports"), 1, "recorded at 5 s: kept");
    prune(at(6));
    assert_eq!(count(&db, "SELECT count(*) AS n FROM run_reports"), 0);
}

#[test]
fn migration_0015_lets_new_checks_wait_since_they_entered_new() {
    let db = database(Some("0015"));
    db.execute_batch(
        "INSERT INTO projects (id, name, ping_key_hash, created_at) VALUES ('p1', 'one', 'h1', 1);
         INSERT INTO checks (uuid, project_id, created_at, status, status_changed_at) VALUES
           ('00000000-0000-4000-8000-000000000001', 'p1', 1000, 'new', NULL),
           ('00000000-0000-4000-8000-000000000002', 'p1', 1000, 'new', 5000),
           ('00000000-0000-4000-8000-000000000003', 'p1', 1000, 'up', 5000);",
    )
    .expect("rows in the shape before 0015");
    migrate(&db, Some("0015"), None);
    let rows = query(&db, "SELECT waiting_since, expect_first_ping FROM checks ORDER BY id");
    let seen: Vec<(Option<i64>, i64)> =
        rows.iter().map(|r| (r["waiting_since"].as_i64(), r["expect_first_ping"].as_i64().unwrap_or(-1))).collect();
    assert_eq!(seen, [(Some(1000), 0), (Some(5000), 0), (None, 0)], "created, resumed, running");
    let check = read_check(&db, 2);
    assert!(!check.config.monitoring.expect_first_ping);
    assert_eq!(check.state.waiting_since, Some(Timestamp::from_millis(5000)));
}
