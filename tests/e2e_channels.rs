//! Every channel kind end to end: a channel of each kind created through the
//! API with its `url`/`api_url` pointing at a recording receiver on
//! 127.0.0.1, a check that goes down (the sweep) and up (a ping), and the
//! requests as each service documents them.

mod support;

use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Duration;
use support::{now_ms, path_of, Project, Receiver, Worker};

const WAIT: Duration = Duration::from_secs(20);

/// Creates a channel through the API and returns its JSON.
fn channel(worker: &Worker, project: &Project, spec: Value) -> Value {
    let response = worker.api(&project.api_key, "POST", "/api/v3/channels/", Some(&spec));
    assert_eq!(response.status, 201, "create channel {spec}: {}", response.text());
    response.json()
}

/// The channel of every HTTP kind, each at its own path of the receiver.
fn every_http_kind(receiver: &Receiver) -> Vec<Value> {
    vec![
        json!({"kind": "slack", "name": "slack", "url": receiver.url("/slack")}),
        json!({"kind": "pagerduty", "name": "pagerduty", "routing_key": "R0UTINGKEY", "events_url": receiver.url("/pagerduty")}),
        json!({"kind": "webhook", "name": "webhook", "url": receiver.url("/webhook")}),
        json!({"kind": "discord", "name": "discord", "url": receiver.url("/discord/api/webhooks/1/tok")}),
        json!({"kind": "teams", "name": "teams", "url": receiver.url("/teams/workflows/x?sig=s")}),
        json!({"kind": "telegram", "name": "telegram", "bot_token": "123456:TESTTOKEN", "chat_id": "-1001",
               "api_url": receiver.url("/telegram")}),
        json!({"kind": "ntfy", "name": "ntfy", "url": receiver.url("/ntfy/edgebeat-topic"), "token": "tk_TESTTOKEN"}),
        json!({"kind": "opsgenie", "name": "opsgenie", "api_key": "OPSGENIEKEY123", "region": "eu",
               "api_url": receiver.url("/opsgenie")}),
        json!({"kind": "pushover", "name": "pushover", "user_key": "uQiRzpo4DXghDmr9QzzfQu27cmVRsG",
               "app_token": "azGDORePK8gMaC0QOYAMyEEuzJnyUi", "api_url": receiver.url("/pushover")}),
        json!({"kind": "googlechat", "name": "googlechat", "url": receiver.url("/googlechat/v1/spaces/A/messages?key=k")}),
        json!({"kind": "matrix", "name": "matrix", "homeserver": receiver.url("/matrix"),
               "access_token": "syt_TESTTOKEN", "room_id": "!room:example.org"}),
        json!({"kind": "mattermost", "name": "mattermost", "url": receiver.url("/mattermost/hooks/xyz")}),
        json!({"kind": "alertmanager", "name": "alertmanager", "url": receiver.url("/alertmanager")}),
    ]
}

/// The one request each kind made, by the first segment of its path.
fn by_kind(requests: &[support::receiver::Recorded]) -> HashMap<String, support::receiver::Recorded> {
    let mut map = HashMap::new();
    for request in requests {
        let kind = request.path.trim_start_matches('/').split(['/', '?']).next().unwrap_or_default().to_owned();
        assert!(map.insert(kind.clone(), request.clone()).is_none(), "two requests for {kind}");
    }
    map
}

#[test]
fn every_kind_delivers_down_and_up_as_its_service_documents() {
    let receiver = Receiver::start();
    let worker = Worker::start();
    let project = worker.create_project("every kind");
    let specs = every_http_kind(&receiver);
    for spec in &specs {
        let created = channel(&worker, &project, spec.clone());
        // Secrets never in full; where alerts go always shown.
        let shown = created.to_string();
        for secret in [
            "R0UTINGKEY",
            "TESTTOKEN",
            "OPSGENIEKEY123",
            "uQiRzpo4DXghDmr9QzzfQu27cmVRsG",
            "azGDORePK8gMaC0QOYAMyEEuzJnyUi",
        ] {
            assert!(!shown.contains(secret), "{secret} shown: {shown}");
        }
        assert_eq!(created["destination"], format!("http://127.0.0.1:{}/…", receiver.port), "{shown}");
    }
    let check = worker.create_check(
        &project,
        json!({"name": "nightly <backup>", "tags": "prod db", "timeout": 60, "grace": 60, "channels": "*"}),
    );
    let uuid = check["uuid"].as_str().unwrap().to_owned();
    assert_eq!(worker.post(&path_of(&check["ping_url"]), b"<b>done</b> & *ok*").status, 200);
    let pinged = now_ms();

    worker.run_sweep(pinged + 121_000);
    let down = by_kind(&receiver.wait_for(specs.len(), WAIT));
    assert_eq!(down.len(), specs.len(), "{:?}", down.keys());
    let json = |kind: &str| down[kind].json();

    assert!(json("slack")["text"].as_str().unwrap().contains("nightly <backup> is DOWN"));
    assert_eq!(json("pagerduty")["event_action"], "trigger");
    assert_eq!(json("webhook")["event"], "down");
    let embed = &json("discord")["embeds"][0];
    assert_eq!(embed["title"], "nightly <backup> is DOWN: no ping on time");
    assert_eq!(embed["color"], 0xD93F0B);
    assert_eq!(json("teams")["attachments"][0]["content"]["type"], "AdaptiveCard");

    assert_eq!(down["telegram"].path, "/telegram/bot123456:TESTTOKEN/sendMessage");
    let telegram = json("telegram");
    assert_eq!((telegram["chat_id"].as_str(), telegram["parse_mode"].as_str()), (Some("-1001"), Some("HTML")));
    let text = telegram["text"].as_str().unwrap();
    assert!(text.contains("<b>nightly &lt;backup&gt; is DOWN") && text.contains("&lt;b&gt;done&lt;/b&gt;"), "{text}");

    assert_eq!(down["ntfy"].path, "/ntfy/");
    assert_eq!(down["ntfy"].header("authorization"), Some("Bearer tk_TESTTOKEN"));
    let ntfy = json("ntfy");
    assert_eq!((ntfy["topic"].as_str(), ntfy["priority"].as_u64()), (Some("edgebeat-topic"), Some(5)));

    assert_eq!(down["opsgenie"].path, "/opsgenie/v2/alerts");
    assert_eq!(down["opsgenie"].header("authorization"), Some("GenieKey OPSGENIEKEY123"));
    assert_eq!(json("opsgenie")["alias"], format!("edgebeat-{uuid}"));

    assert_eq!(down["pushover"].path, "/pushover/1/messages.json");
    assert_eq!((json("pushover")["priority"].as_i64(), json("pushover")["html"].as_i64()), (Some(1), Some(1)));

    assert!(down["googlechat"].path.ends_with("?key=k&messageReplyOption=REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD"));
    let thread = json("googlechat")["thread"]["threadKey"].clone();

    let matrix = &down["matrix"];
    assert_eq!(matrix.method, "PUT");
    assert!(matrix
        .path
        .starts_with("/matrix/_matrix/client/v3/rooms/%21room%3Aexample%2Eorg/send/m.room.message/edgebeat%2D"));
    assert_eq!(matrix.header("authorization"), Some("Bearer syt_TESTTOKEN"));
    assert_eq!(json("matrix")["format"], "org.matrix.custom.html");

    assert!(json("mattermost").get("blocks").is_none());
    assert_eq!(json("mattermost")["attachments"][0]["color"], "#d93f0b");

    assert_eq!(down["alertmanager"].path, "/alertmanager/api/v2/alerts");
    let fired = json("alertmanager");
    assert_eq!(fired[0]["labels"]["alertname"], "EdgebeatCheckDown");
    assert_eq!(fired[0]["labels"]["project"], project.id.as_str());

    // Up: a resolve, a close, a reply in the same thread, a resolved alert.
    assert_eq!(worker.get(&path_of(&check["ping_url"])).status, 200);
    let all = receiver.wait_for(2 * specs.len(), WAIT);
    let up = by_kind(&all[specs.len()..]);
    assert_eq!(up["pagerduty"].json()["event_action"], "resolve");
    assert_eq!(up["opsgenie"].path, format!("/opsgenie/v2/alerts/edgebeat-{uuid}/close?identifierType=alias"));
    assert_eq!(up["googlechat"].json()["thread"]["threadKey"], thread, "up replies under its down");
    let resolved = up["alertmanager"].json();
    assert_eq!(resolved[0]["labels"], fired[0]["labels"], "the same alert");
    assert!(resolved[0]["endsAt"].as_str() < fired[0]["endsAt"].as_str());
    assert_ne!(up["matrix"].path, matrix.path, "another notification, another transaction");
    assert!(up["discord"].json()["embeds"][0]["title"].as_str().unwrap().contains("is UP again"));
}

#[test]
fn the_channel_test_reaches_every_kind_and_bad_settings_are_refused_clearly() {
    let receiver = Receiver::start();
    let worker = Worker::start();
    let project = worker.create_project("tests");
    let specs = every_http_kind(&receiver);
    for spec in &specs {
        let id = channel(&worker, &project, spec.clone())["id"].as_str().unwrap().to_owned();
        let tested = worker.api(&project.api_key, "POST", &format!("/api/v3/channels/{id}/test"), None);
        assert_eq!(
            (tested.status, tested.json()["delivered"].as_bool()),
            (200, Some(true)),
            "{spec}: {}",
            tested.text()
        );
    }
    assert_eq!(receiver.requests().len(), specs.len());
    let bad = [
        (json!({"kind": "telegram", "bot_token": "123456:TESTTOKEN", "chat_id": "not a chat"}), "chat_id"),
        (
            json!({"kind": "matrix", "homeserver": "https://m.example.org", "access_token": "syt_TESTTOKEN1",
                "room_id": "#alias:example.org"}),
            "room_id",
        ),
        (json!({"kind": "opsgenie", "api_key": "OPSGENIEKEY123", "region": "asia"}), "region must be us or eu"),
        (json!({"kind": "ntfy", "url": "https://ntfy.sh/"}), "topic"),
        (json!({"kind": "discord"}), "url is required"),
        (json!({"kind": "discord", "url": "https://discord.example/x", "token": "x"}), "unknown field"),
        (json!({"kind": "pigeon"}), "kind must be"),
    ];
    for (spec, expected) in bad {
        let response = worker.api(&project.api_key, "POST", "/api/v3/channels/", Some(&spec));
        assert_eq!(response.status, 400, "{spec}");
        let error = response.json()["error"].as_str().unwrap().to_owned();
        assert!(error.contains(expected), "{spec}: {error}");
    }
}

#[test]
fn private_destinations_are_refused_at_creation_for_every_kind_when_not_allowed() {
    let worker = Worker::start_with(&[("ALLOW_PRIVATE_DESTINATIONS", "0")]);
    let project = worker.create_project("policy");
    // Nothing is sent: the channels are refused when created.
    for mut spec in every_http_kind(&Receiver::start()) {
        let object = spec.as_object_mut().unwrap();
        object.remove("name");
        let response = worker.api(&project.api_key, "POST", "/api/v3/channels/", Some(&spec));
        assert_eq!(response.status, 400, "{spec}: {}", response.text());
        assert!(response.text().contains("not allowed as channel destinations"), "{}", response.text());
    }
}

#[test]
fn a_permanent_refusal_marks_the_channel_failing_tells_the_others_once_and_a_good_test_clears_it() {
    let gone = Receiver::start();
    gone.answer_with(&[support::Answer::Status(410); 20]);
    let other = Receiver::start();
    let worker = Worker::start();
    let project = worker.create_project("failing");
    let broken = channel(&worker, &project, json!({"kind": "webhook", "name": "old hook", "url": gone.url("/hook")}));
    let broken_id = broken["id"].as_str().unwrap().to_owned();
    assert_eq!(broken["failing"], Value::Null);
    channel(&worker, &project, json!({"kind": "slack", "name": "team", "url": other.url("/slack")}));
    let check = worker.create_check(&project, json!({"name": "backup", "channels": "*"}));
    let ping = path_of(&check["ping_url"]);

    // Down: the webhook answers 410 Gone, a permanent refusal.
    assert_eq!(worker.get(&format!("{ping}/fail")).status, 200);
    gone.wait_for(1, WAIT);
    other.wait_for(1, WAIT);
    let path = format!("/api/v3/channels/{broken_id}");
    let mut shown = Value::Null;
    for _ in 0..100 {
        shown = worker.api(&project.api_key, "GET", &path, None).json();
        if !shown["failing"].is_null() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(shown["failing"]["reason"].as_str().unwrap().contains("410"), "{shown}");
    assert!(shown["failing"]["since"].is_string(), "{shown}");

    // The project hears of it once, through its other channel.
    worker.run_sweep(now_ms());
    let requests = other.wait_for(2, WAIT);
    let notice = requests[1].json();
    let text = notice["text"].as_str().unwrap();
    assert!(text.contains("old hook") && text.contains("failing"), "{text}");

    // While failing, its notifications fail without contacting the service.
    assert_eq!(worker.get(&ping).status, 200);
    other.wait_for(3, WAIT);
    assert_eq!(worker.get(&format!("{ping}/fail")).status, 200);
    other.wait_for(4, WAIT);
    worker.run_sweep(now_ms() + 1000);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(gone.requests().len(), 1, "a failing channel is not contacted");
    assert_eq!(
        other.requests().len(),
        4,
        "one notice only: {:?}",
        other.requests().iter().map(|r| r.json()["text"].clone()).collect::<Vec<_>>()
    );
    let log = worker.api(&project.api_key, "GET", "/api/v3/notifications/?state=failed", None).json();
    let failed: Vec<&Value> =
        log["notifications"].as_array().unwrap().iter().filter(|n| n["channel"] == broken_id.as_str()).collect();
    assert_eq!(failed.len(), 3, "{log}");
    assert!(failed[0]["last_error"].as_str().unwrap().contains("failing"), "{log}");

    // A test that is delivered clears it (the receiver answers 200 again).
    let gone_answers = gone.requests().len();
    assert_eq!(gone_answers, 1);
    let restored = Receiver::start();
    let moved = worker.api(&project.api_key, "POST", &path, Some(&json!({"url": restored.url("/hook")})));
    assert_eq!(moved.status, 200);
    assert_eq!(moved.json()["failing"], Value::Null, "an edit clears it");
    assert_eq!(worker.get(&ping).status, 200);
    restored.wait_for(1, WAIT);
}

#[test]
fn a_delivered_channel_test_clears_a_failing_mark() {
    let flaky = Receiver::start();
    flaky.answer_with(&[support::Answer::Status(410)]);
    let worker = Worker::start();
    let project = worker.create_project("clears");
    let id = channel(&worker, &project, json!({"kind": "webhook", "url": flaky.url("/hook")}))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let test = format!("/api/v3/channels/{id}/test");
    let refused = worker.api(&project.api_key, "POST", &test, None).json();
    assert_eq!((refused["delivered"].as_bool(), refused["status"].as_i64()), (Some(false), Some(410)), "{refused}");
    let path = format!("/api/v3/channels/{id}");
    assert!(!worker.api(&project.api_key, "GET", &path, None).json()["failing"].is_null());
    let delivered = worker.api(&project.api_key, "POST", &test, None).json();
    assert_eq!(delivered["delivered"], true, "a test still contacts a failing channel: {delivered}");
    assert_eq!(worker.api(&project.api_key, "GET", &path, None).json()["failing"], Value::Null);
}
