//! The one read → decide → conditional write → retry loop
//! (`app::write::decide_and_apply`) under forced interleavings.

use super::*;
use crate::app::write::{decide_and_apply, WriteError};
use crate::domain::check::{Check, PingKind};
use crate::domain::plan::{CheckPlan, Expect, Expected, NewPing};

/// A success ping planned from `check` as read: it applies only if the
/// check is still so.
fn ping_plan(check: &Check, at: Timestamp) -> CheckPlan {
    let mut plan = CheckPlan::for_check(check, Expect::Row(Expected::of(check, false)), at);
    plan.ping = Some(NewPing {
        kind: PingKind::Success,
        at,
        arrived: None,
        scheme: "https".into(),
        method: "POST".into(),
        ua: "curl".into(),
        remote_addr: None,
        exit_status: None,
        rid: None,
        body: Vec::new(),
        history: 10,
    });
    plan
}

#[test]
fn the_write_loop_decides_again_after_a_forced_interleaving_and_gives_up_within_its_budget() {
    let world = World::new();
    let project = world.project("write loop");
    let uuid = uuid_of(&world.check(&project, json!({"name": "contended"})));
    let check = world.row(&uuid).check;
    let store = world.store();
    store.before_next_apply(move |store, _| {
        store.edit_check(check.id, |c| c.config_version += 1);
    });
    let decisions = std::cell::Cell::new(0);
    let written = block_on(decide_and_apply(store, &world.platform, check.clone(), "test", async |check: &Check| {
        decisions.set(decisions.get() + 1);
        Ok::<_, ()>((ping_plan(check, T0), ()))
    }));
    let Ok(written) = written else { panic!("not written on the second decision") };
    assert_eq!(decisions.get(), 2);
    assert_eq!(written.read.config_version, check.config_version + 1, "decided again from a fresh read");
    assert_eq!(world.row(&uuid).check.n_pings, 1);

    // A check that keeps changing: the loop gives up within its budget
    // (the test platform's sleeps move its clock).
    store.before_apply(move |store, _| {
        store.edit_check(check.id, |c| c.config_version += 1);
    });
    let result =
        block_on(decide_and_apply(store, &world.platform, world.row(&uuid).check, "test", async |check: &Check| {
            Ok::<_, ()>((ping_plan(check, T0), ()))
        }));
    assert!(matches!(result, Err(WriteError::Contended)));
    store.clear_hooks();
    assert_eq!(world.row(&uuid).check.n_pings, 1, "nothing more written");
}
