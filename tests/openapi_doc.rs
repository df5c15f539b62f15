//! The OpenAPI document at the repo root (`openapi.json`, served at
//! `/api/v3/openapi.json`) against the router's own list of routes: every
//! route is documented with each of its methods, nothing else is, and every
//! error response has the shared `Error` shape. Native: no worker needed.

use edgebeat::domain::route::{route, slash_redirect, Method, ROUTES};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

const METHODS: [&str; 8] = ["get", "head", "post", "put", "delete", "patch", "options", "trace"];

/// Routes that are deliberately not listed in the document: the hc-ping.com
/// style pings at the root are aliases of the `/ping/...` forms (the
/// descriptions of those say so). Listing them would put templated paths such
/// as `/{ping_key}/{slug}/{signal}` beside every concrete three-segment path.
const NOT_DOCUMENTED: &[&str] = &["/{uuid}", "/{uuid}/{signal}", "/{ping_key}/{slug}", "/{ping_key}/{slug}/{signal}"];

/// Route patterns documented under another path. OpenAPI forbids two
/// templated paths that differ only in their placeholder names, and
/// `/ping/{uuid}/{signal}` and `/ping/{ping_key}/{slug}` are such a pair (the
/// ping grammar tells them apart by the value, a UUID first). The document
/// lists the shape once, naming both readings.
const DOCUMENTED_AS: &[(&str, &str)] = &[
    ("/ping/{uuid}/{signal}", "/ping/{uuid_or_ping_key}/{signal_or_slug}"),
    ("/ping/{ping_key}/{slug}", "/ping/{uuid_or_ping_key}/{signal_or_slug}"),
];

fn doc() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path} is not JSON: {e}"))
}

/// Every (path, METHOD) the document lists.
fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let paths = doc["paths"].as_object().expect("paths is an object");
    let mut operations = BTreeSet::new();
    for (path, item) in paths {
        for method in METHODS {
            if item.get(method).is_some() {
                operations.insert((path.clone(), method.to_ascii_uppercase()));
            }
        }
    }
    operations
}

/// Every (path, METHOD) the router has, as the document should list it.
fn routed() -> BTreeSet<(String, String)> {
    let mut operations = BTreeSet::new();
    for (pattern, methods) in ROUTES {
        if NOT_DOCUMENTED.contains(pattern) {
            continue;
        }
        let path = DOCUMENTED_AS.iter().find(|(from, _)| from == pattern).map_or(*pattern, |(_, to)| *to);
        for method in *methods {
            operations.insert((path.to_owned(), method.as_str().to_owned()));
        }
    }
    operations
}

/// Follows a local `$ref` (`#/components/...`), or panics naming it.
fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let pointer = reference.strip_prefix('#').unwrap_or_else(|| panic!("non-local $ref {reference}"));
            let target = doc.pointer(pointer).unwrap_or_else(|| panic!("dangling $ref {reference}"));
            resolve(doc, target)
        }
        None => value,
    }
}

fn placeholders(path: &str) -> BTreeSet<String> {
    path.split('{').skip(1).filter_map(|rest| rest.split_once('}')).map(|(name, _)| name.to_owned()).collect()
}

#[test]
fn it_is_an_openapi_3_document_of_this_version() {
    let doc = doc();
    let version = doc["openapi"].as_str().expect("an openapi field");
    assert!(version.starts_with("3."), "openapi {version}");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"), "info.version follows Cargo.toml");
    assert!(doc["components"]["schemas"]["Error"].is_object());
}

#[test]
fn every_route_is_documented_with_its_methods_and_nothing_else() {
    let doc = doc();
    let documented = documented(&doc);
    let routed = routed();
    let missing: Vec<_> = routed.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&routed).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "openapi.json and ROUTES disagree.\nIn ROUTES but not documented: {missing:#?}\n\
         Documented but not in ROUTES: {extra:#?}"
    );
    // The exceptions above must stay real routes, or they hide nothing.
    for pattern in NOT_DOCUMENTED.iter().chain(DOCUMENTED_AS.iter().map(|(from, _)| from)) {
        assert!(ROUTES.iter().any(|(p, _)| p == pattern), "{pattern} is no longer in ROUTES");
    }
}

#[test]
fn path_parameters_match_the_placeholders() {
    let doc = doc();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let expected = placeholders(path);
        let shared: Vec<&Value> = item.get("parameters").and_then(Value::as_array).into_iter().flatten().collect();
        for method in METHODS {
            let Some(operation) = item.get(method) else { continue };
            let own = operation.get("parameters").and_then(Value::as_array).into_iter().flatten();
            let declared: BTreeSet<String> = shared
                .iter()
                .copied()
                .chain(own)
                .map(|p| resolve(&doc, p))
                .filter(|p| p["in"] == "path")
                .map(|p| {
                    assert_eq!(p["required"], true, "{method} {path}: path parameter {} must be required", p["name"]);
                    p["name"].as_str().unwrap().to_owned()
                })
                .collect();
            assert_eq!(declared, expected, "{method} {path}: path parameters");
        }
    }
}

#[test]
fn every_error_response_is_the_shared_error_object() {
    let doc = doc();
    let error_ref = "#/components/schemas/Error";
    let refers_to_error = |schema: &Value| {
        schema["$ref"] == error_ref
            || schema["oneOf"]
                .as_array()
                .is_some_and(|alternatives| alternatives.iter().any(|s| s["$ref"] == error_ref))
    };
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in METHODS {
            let Some(operation) = item.get(method) else { continue };
            let responses = operation["responses"].as_object().unwrap_or_else(|| panic!("{method} {path}: responses"));
            assert!(!responses.is_empty(), "{method} {path}: no responses");
            for (status, response) in responses {
                let code: u16 = status.parse().unwrap_or_else(|_| panic!("{method} {path}: status {status}"));
                let response = resolve(&doc, response);
                assert!(response["description"].is_string(), "{method} {path} {status}: a description");
                // HEAD answers have no body to describe.
                if code < 400 || method == "head" {
                    continue;
                }
                // The ping API answers plain text, errors included (`not found`,
                // `invalid url format`), exactly as healthchecks.io does, so that
                // existing scripts keep working; only a bad `ts`, an edgebeat
                // extension, is a 400 with the shared error object.
                if path.starts_with("/ping/") {
                    let content = response["content"].as_object().unwrap();
                    for (media_type, body) in content {
                        let json_400 =
                            code == 400 && media_type == "application/json" && body["schema"]["$ref"] == error_ref;
                        assert!(media_type.starts_with("text/plain") || json_400, "{method} {path} {status}");
                    }
                    continue;
                }
                let content = response["content"]
                    .as_object()
                    .unwrap_or_else(|| panic!("{method} {path} {status}: an error must have a body"));
                // A public status page is for people: a missing one is a page saying so.
                if path == "/status/{page_slug}" && code == 404 {
                    assert!(content.keys().all(|t| t == "text/html; charset=utf-8"), "{method} {path} {status}");
                    continue;
                }
                for (media_type, body) in content {
                    assert_eq!(media_type, "application/json", "{method} {path} {status}");
                    let schema = &body["schema"];
                    // Only /health's 503 may also be a Health body: it reports
                    // stopped sweeps with a 503 on purpose, for outside monitors.
                    let exact = schema["$ref"] == error_ref;
                    let health_503 = path == "/health" && code == 503 && refers_to_error(schema);
                    assert!(exact || health_503, "{method} {path} {status}: the schema must be the Error schema");
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 40, "only {checked} error responses checked");
    let error = &doc["components"]["schemas"]["Error"];
    assert_eq!(error["required"], serde_json::json!(["error"]));
    assert_eq!(error["properties"]["error"]["type"], "string");
}

#[test]
fn references_resolve_and_operation_ids_are_unique() {
    fn walk<'a>(value: &'a Value, refs: &mut Vec<&'a str>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(reference)) = map.get("$ref") {
                    refs.push(reference);
                }
                map.values().for_each(|v| walk(v, refs));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, refs)),
            _ => {}
        }
    }
    let doc = doc();
    let mut refs = Vec::new();
    walk(&doc, &mut refs);
    for reference in refs {
        let pointer = reference.strip_prefix('#').unwrap_or_else(|| panic!("non-local $ref {reference}"));
        assert!(doc.pointer(pointer).is_some(), "dangling $ref {reference}");
    }
    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in METHODS {
            let Some(operation) = item.get(method) else { continue };
            let id = operation["operationId"].as_str().unwrap_or_else(|| panic!("{method} {path}: no operationId"));
            if let Some(other) = ids.insert(id.to_owned(), format!("{method} {path}")) {
                panic!("operationId {id} is used by {other} and {method} {path}");
            }
        }
    }
    // Links name operations by id.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in METHODS {
            let Some(operation) = item.get(method) else { continue };
            for response in operation["responses"].as_object().unwrap().values() {
                for (name, link) in response.get("links").and_then(Value::as_object).into_iter().flatten() {
                    let target = link["operationId"].as_str().unwrap();
                    assert!(ids.contains_key(target), "{method} {path}: link {name} names unknown {target}");
                }
            }
        }
    }
}

/// A concrete path for a documented collection path (the placeholders those have).
fn concrete(path: &str) -> String {
    let uuid = "0f2ea3c4-5b6d-4e7f-8a9b-0c1d2e3f4a5b";
    path.replace("{uuid}", uuid).replace("{check}", uuid).replace("{project_id}", uuid)
}

/// The document lists each collection path with its trailing slash, which
/// never redirects, so no operation has a 301. The slashless spelling of such
/// a path is routed too and answers a method it refuses with healthchecks'
/// 301 to the slashed path: the slashed path's description says so, and no
/// other path's does.
#[test]
fn slashless_collection_paths_and_their_301_are_described_on_the_slashed_paths() {
    let doc = doc();
    let mut described = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in METHODS {
            if let Some(operation) = item.get(method) {
                assert!(operation["responses"].get("301").is_none(), "{method} {path}: a listed path never redirects");
            }
        }
        let description = item.get("description").and_then(Value::as_str).unwrap_or_default();
        let slashed = concrete(path);
        let alias = slashed.strip_suffix('/').filter(|_| path.ends_with('/'));
        let aliased = alias.and_then(|alias| route(alias).filter(|r| route(&slashed).as_ref() == Some(r)));
        let (Some(alias), Some(found)) = (alias, aliased) else {
            assert!(!description.contains("301"), "{path} has no slashless alias, yet mentions a 301");
            continue;
        };
        for method in
            [Method::Get, Method::Head, Method::Post, Method::Put, Method::Patch, Method::Delete, Method::Other]
        {
            let expected = (!found.methods().contains(&method)).then(|| slashed.clone());
            assert_eq!(slash_redirect(&found, method, alias, ""), expected, "{} {alias}", method.as_str());
        }
        assert_eq!(slash_redirect(&found, Method::Options, alias, ""), None, "OPTIONS {alias}: a preflight");
        let slashless = &path[..path.len() - 1];
        assert!(
            description.contains(&format!("`{slashless}`")) && description.contains("301 Moved Permanently"),
            "{path}: its description must name `{slashless}` and the 301 it answers: {description:?}"
        );
        described.push(path.as_str());
    }
    assert_eq!(
        described,
        [
            "/api/v3/badges/",
            "/api/v3/channels/",
            "/api/v3/checks/",
            "/api/v3/checks/{check}/audit/",
            "/api/v3/checks/{check}/flips/",
            "/api/v3/checks/{uuid}/pings/",
            "/api/v3/maintenance/",
            "/api/v3/notifications/",
            "/api/v3/projects/",
            "/api/v3/projects/{project_id}/audit/",
            "/api/v3/projects/{project_id}/keys/",
            "/api/v3/projects/{project_id}/members/",
            "/api/v3/status-pages/",
            "/projects/{project_id}/metrics/",
        ],
        "the paths in the document's order"
    );
}

/// The channel schemas are the registry's (core/src/channels): each kind's
/// spec with its fields, the union of them, the update, the channel as
/// shown and the list of kinds. `scripts/openapi_channels.py` rewrites them.
#[test]
fn channel_schemas_are_the_registrys() {
    let generated = edgebeat::domain::channels::describe::openapi_schemas();
    let table = edgebeat::domain::channels::describe::docs_table();
    let readme_table = edgebeat::domain::channels::describe::readme_table();
    if let Ok(dump) = std::env::var("EDGEBEAT_DUMP_CHANNEL_SCHEMAS") {
        std::fs::write(&dump, Value::Object(generated.clone()).to_string()).expect("write the dump");
        std::fs::write(format!("{dump}.md"), &table).expect("write the table");
        std::fs::write(format!("{dump}.readme.md"), &readme_table).expect("write the README's table");
        return;
    }
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README.md");
    assert!(
        readme.contains(&readme_table),
        "README.md's table of channel kinds is not the registry's: run scripts/openapi_channels.py"
    );
    let docs =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/channels.md")).expect("docs/channels.md");
    assert!(
        docs.contains(&table),
        "docs/channels.md's table of kinds is not the registry's: run scripts/openapi_channels.py"
    );
    let doc = doc();
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    for (name, schema) in &generated {
        assert!(
            schemas.get(name) == Some(schema),
            "openapi.json's {name} is not the channel registry's: run scripts/openapi_channels.py"
        );
    }
    for name in schemas.keys().filter(|n| n.ends_with("ChannelSpec")) {
        assert!(generated.contains_key(name), "{name} names no channel kind: run scripts/openapi_channels.py");
    }
}
