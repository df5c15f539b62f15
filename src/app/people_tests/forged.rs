//! Access tokens: a good one signs its person in; expired, not yet valid,
//! for another audience or issuer, naming an unknown key, `alg: none`,
//! HS256 keyed with the public key, signed by another key or changed after
//! signing: each refused with 401, and nothing happens. A key rotated in
//! works without a restart; made-up keys fetch the key set a bounded number
//! of times.

use super::tokens::{claims, jwks, keys, tampered, unsigned};
use super::*;
use crate::domain::access::keys::MAX_FETCHES;

/// A project owned by ada, with one check; returns (project, check uuid).
fn arranged(world: &World) -> (Value, String) {
    let project = world.project("ops", "Ada@Example.com");
    let created =
        world.request(&key_of(&project, "api_key"), "POST", "/api/v3/checks/", Some(&json!({"name": "backup"})));
    assert_eq!(created.status, 201, "{}", text(&created));
    (project, body(&created)["uuid"].as_str().expect("uuid").to_owned())
}

#[test]
fn a_good_token_signs_its_person_in() {
    let world = World::new();
    let (project, uuid) = arranged(&world);
    let reply = world.request(&As::Person("ada@example.com".into(), None), "GET", "/api/v3/checks/", None);
    assert_eq!(reply.status, 200, "{}", text(&reply));
    assert_eq!(body(&reply)["checks"][0]["uuid"], uuid.as_str(), "an owner sees the read-write view");
    // Her email as Access gives it, in any case: one person.
    let token = keys()[0].token(&claims(TEAM, AUD, "ADA@example.COM", NOW));
    let paused = world.request(&As::Token(token), "POST", &format!("/api/v3/checks/{uuid}/pause"), None);
    assert_eq!(paused.status, 200, "{}", text(&paused));
    assert_eq!(world.log(&id_of(&project))[0], ("ada@example.com".into(), "check.pause".into()));
    // The cookie works as the header does.
    let cookie = format!("other=1; CF_Authorization={}", world.token_for("ada@example.com"));
    let reply = world.request_with(&As::Nobody, "GET", "/api/v3/checks/", None, &[("Cookie", &cookie)]);
    assert_eq!(reply.status, 200, "{}", text(&reply));
}

#[test]
fn forged_and_unfit_tokens_are_refused_and_change_nothing() {
    let world = World::new();
    let (project, uuid) = arranged(&world);
    let ada = |edit: &dyn Fn(&mut Value)| {
        let mut c = claims(TEAM, AUD, "ada@example.com", NOW);
        edit(&mut c);
        c
    };
    let good = ada(&|_| {});
    let [team, _, stranger] = keys();
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "expired",
            team.token(&ada(&|c| {
                c["nbf"] = json!(NOW - 3600);
                c["exp"] = json!(NOW - 120);
            })),
            "expired",
        ),
        (
            "not yet valid",
            team.token(&ada(&|c| {
                c["nbf"] = json!(NOW + 120);
                c["exp"] = json!(NOW + 3600);
            })),
            "not valid yet",
        ),
        ("wrong audience", team.token(&ada(&|c| c["aud"] = json!(["another-app"]))), "another application"),
        ("wrong issuer", team.token(&ada(&|c| c["iss"] = json!("https://evil.example.com"))), "another team"),
        ("unknown kid", stranger.token(&good), "key the team does not publish"),
        ("alg none", unsigned(&team.kid, &good), "only RS256"),
        ("HS256 with the public key", team.hs256_with_public_key(&good), "only RS256"),
        ("another key's signature", stranger.token_as(&team.kid, &good), "signature is not valid"),
        (
            "tampered payload",
            tampered(&team.token(&ada(&|c| c["email"] = json!("viewer@example.com"))), &good),
            "signature is not valid",
        ),
        ("not a token", "garbage".into(), "not a signed JWT"),
        (
            "no email (a service token)",
            team.token(&ada(&|c| {
                c.as_object_mut().unwrap().remove("email");
            })),
            "no email",
        ),
    ];
    for (what, token, says) in cases {
        let reply = world.request(&As::Token(token), "POST", &format!("/api/v3/checks/{uuid}/pause"), None);
        assert_eq!(reply.status, 401, "{what}: {}", text(&reply));
        let error = body(&reply)["error"].as_str().unwrap_or_default().to_owned();
        assert!(error.contains(says), "{what}: {error}");
    }
    let check = world.request(&key_of(&project, "api_key"), "GET", &format!("/api/v3/checks/{uuid}"), None);
    assert_eq!(body(&check)["status"], "new", "never paused");
    assert_eq!(world.log(&id_of(&project)).len(), 2, "only the project and the check were logged");
}

#[test]
fn a_key_rotated_in_works_without_a_restart() {
    let world = World::new();
    let (_, uuid) = arranged(&world);
    let ada = claims(TEAM, AUD, "ada@example.com", NOW);
    let path = format!("/api/v3/checks/{uuid}");
    assert_eq!(world.request(&As::Token(keys()[0].token(&ada)), "GET", &path, None).status, 200);
    assert_eq!(world.platform.fetched.borrow().len(), 1);
    assert_eq!(world.request(&As::Token(keys()[0].token(&ada)), "GET", &path, None).status, 200);
    assert_eq!(world.platform.fetched.borrow().len(), 1, "the keys are kept");
    // Access publishes a second key and starts signing with it.
    world.platform.serve_document(CERTS, jwks(&[&keys()[0], &keys()[1]]).as_bytes());
    let rotated = world.request(&As::Token(keys()[1].token(&ada)), "GET", &path, None);
    assert_eq!(rotated.status, 200, "{}", text(&rotated));
    assert_eq!(world.platform.fetched.borrow().len(), 2);
}

#[test]
fn made_up_keys_fetch_the_key_set_a_bounded_number_of_times() {
    let world = World::new();
    let (_, uuid) = arranged(&world);
    let ada = claims(TEAM, AUD, "ada@example.com", NOW);
    for n in 0..20 {
        let token = keys()[2].token_as(&format!("made-up-{n}"), &ada);
        assert_eq!(world.request(&As::Token(token), "GET", &format!("/api/v3/checks/{uuid}"), None).status, 401);
    }
    assert_eq!(world.platform.fetched.borrow().len(), MAX_FETCHES);
    // Known keys keep working meanwhile.
    assert_eq!(world.request(&As::Token(keys()[0].token(&ada)), "GET", "/api/v3/checks/", None).status, 200);
}

#[test]
fn keys_that_cannot_be_fetched_are_a_503_not_a_refusal() {
    let world = World::new();
    let (_, _) = arranged(&world);
    world.platform.documents.borrow_mut().clear();
    let reply = world.request(&As::Person("ada@example.com".into(), None), "GET", "/api/v3/checks/", None);
    assert_eq!(reply.status, 503, "{}", text(&reply));
    assert!(text(&reply).contains("unavailable"));
}

#[test]
fn without_access_configured_a_token_is_no_sign_in_and_keys_work_as_before() {
    let mut world = World::new();
    let (project, _) = arranged(&world);
    world.settings.access = None;
    let reply = world.request(&As::Person("ada@example.com".into(), None), "GET", "/api/v3/checks/", None);
    assert_eq!(reply.status, 401);
    assert_eq!(body(&reply)["error"], "missing api key");
    assert_eq!(world.request(&key_of(&project, "api_key_readonly"), "GET", "/api/v3/checks/", None).status, 200);
    assert!(world.platform.fetched.borrow().is_empty(), "nothing fetched");
}
