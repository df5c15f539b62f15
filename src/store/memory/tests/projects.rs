//! `ProjectStore` and `SweepStore`.

use super::*;
use crate::domain::health::SweepStats;
use crate::store::{StoreError, SweepOutcome, SweepStore, Usage};

#[test]
fn projects_are_found_by_their_key_hashes_and_badge_keys() {
    let (store, project) = store();
    add_project(&store, 2);
    assert_eq!(block_on(store.api_key("rw-hash-1")).unwrap(), Some((project.clone(), false)));
    assert_eq!(block_on(store.api_key("ro-hash-1")).unwrap(), Some((project.clone(), true)));
    assert_eq!(block_on(store.api_key("rw-hash-3")).unwrap(), None);
    assert_eq!(block_on(store.project_of_ping_key(&ping_hash(2))).unwrap(), Some(project_id(2)));
    assert_eq!(block_on(store.project_of_ping_key("nope")).unwrap(), None);
    let badges = block_on(store.project_badges(&project)).unwrap().unwrap();
    assert_eq!((badges.badge_key.as_str(), badges.badge_secret.as_str()), ("project-badge-1", "secret-1"));
    assert_eq!(block_on(store.project_by_badge_key("project-badge-2")).unwrap().map(|b| b.id), Some(project_id(2)));
    assert_eq!(block_on(store.project_by_badge_key("nope")).unwrap(), None);
}

#[test]
fn projects_are_listed_oldest_first_with_their_check_counts() {
    let store = MemoryStore::new();
    let later = add_project(&store, 9);
    let earlier = add_project(&store, 3);
    add_check(&store, &later, 1);
    add_check(&store, &later, 2);
    let listed: Vec<_> = block_on(store.list_projects()).unwrap().into_iter().map(|p| (p.id, p.checks)).collect();
    assert_eq!(listed, [(earlier, 0), (later, 2)]);
    assert_eq!(block_on(store.count_projects()).unwrap(), 2);
}

#[test]
fn a_project_whose_id_or_key_is_taken_is_refused_whole() {
    let (store, _) = store();
    let clash = NewProject {
        id: Uuid::from_bytes([7; 16]),
        name: "clash".into(),
        ping_key_hash: "fresh".into(),
        read_write_hash: "fresh-rw".into(),
        read_only_hash: "ro-hash-1".into(),
        badge_key: "fresh-badge".into(),
        badge_secret: "s".into(),
        owner: None,
        audit: None,
    };
    assert!(matches!(block_on(store.create_project(&clash, t(5))), Err(StoreError::Query(_))));
    assert_eq!(block_on(store.count_projects()).unwrap(), 1);
    assert_eq!(block_on(store.api_key("fresh-rw")).unwrap(), None, "nothing of it was written");
    let same_ping_key = NewProject { ping_key_hash: ping_hash(1), read_only_hash: "fresh-ro".into(), ..clash };
    assert!(block_on(store.create_project(&same_ping_key, t(5))).is_err());
}

fn outcome(due_checks: i64, error: Option<&str>) -> SweepOutcome {
    SweepOutcome {
        due_checks,
        rows_read: 3,
        flips: 2,
        sent: 1,
        unreadable: 0,
        rescue: false,
        usage: Usage { rows_read: 40, rows_written: 9 },
        error: error.map(str::to_owned),
    }
}

#[test]
fn the_sweep_record_is_the_newest_completed_and_the_newest_failed_sweep() {
    let store = MemoryStore::new();
    assert_eq!(block_on(store.sweep_record()).unwrap(), Default::default());
    block_on(store.record_sweep(t(60_000), t(60_500), &outcome(1, None))).unwrap();
    block_on(store.record_sweep(t(120_000), t(120_500), &outcome(2, Some("D1 down")))).unwrap();
    block_on(store.record_sweep(t(180_000), t(180_500), &outcome(5, None))).unwrap();
    let record = block_on(store.sweep_record()).unwrap();
    assert_eq!(record.last_completed, Some(t(180_000)));
    let stats = SweepStats {
        due_checks: 5,
        flips: 2,
        sent: 1,
        rows_read: 3,
        unreadable: 0,
        total_rows_read: 40,
        rows_written: 9,
    };
    assert_eq!(record.last_stats, Some(stats));
    assert_eq!(record.last_error, Some((t(120_000), "D1 down".into())));
    // Only the newest 1,000 are kept: the failure ages out.
    for minute in 4..1_004 {
        block_on(store.record_sweep(t(minute * 60_000), t(minute * 60_000), &outcome(0, None))).unwrap();
    }
    assert_eq!(block_on(store.sweep_record()).unwrap().last_error, None);
}

#[test]
fn one_rescue_sweep_holds_the_claim_until_it_expires_or_is_released() {
    let store = MemoryStore::new();
    assert_eq!(block_on(store.last_rescue()).unwrap(), None);
    assert!(block_on(store.claim_rescue(t(1_000), t(301_000))).unwrap());
    assert!(!block_on(store.claim_rescue(t(2_000), t(302_000))).unwrap(), "held");
    block_on(store.release_rescue(t(2_000))).unwrap();
    assert!(!block_on(store.claim_rescue(t(3_000), t(303_000))).unwrap(), "released only by its taker");
    assert_eq!(block_on(store.last_rescue()).unwrap(), Some(t(1_000)));
    block_on(store.release_rescue(t(1_000))).unwrap();
    assert!(block_on(store.claim_rescue(t(4_000), t(304_000))).unwrap());
    assert!(block_on(store.claim_rescue(t(304_000), t(604_000))).unwrap(), "expired");
    assert_eq!(block_on(store.last_rescue()).unwrap(), Some(t(304_000)));
}
