//! The registry described for others: the kinds and their fields as the
//! dashboard's form reads them (`GET /api/v3/channels/kinds`), and the
//! channel schemas of `openapi.json` (tests/openapi_doc.rs checks that the
//! document holds exactly these, and rewrites them when asked).

use super::{Field, KindInfo, KINDS};
use crate::channel::COMMON_FIELDS;
use serde_json::{json, Map, Value};

/// `GET /api/v3/channels/kinds`: every kind with its fields.
pub fn kinds_json() -> Value {
    let kinds: Vec<Value> = KINDS
        .iter()
        .map(|kind| {
            json!({
                "kind": kind.name,
                "title": kind.title,
                "about": kind.about,
                "fields": kind.fields.iter().map(Field::describe).collect::<Vec<_>>(),
                "example": serde_json::from_str::<Value>(kind.example).unwrap_or(Value::Null),
            })
        })
        .collect();
    json!({ "kinds": kinds })
}

/// The table of kinds and fields in docs/channels.md (Markdown).
pub fn docs_table() -> String {
    let mut table = String::from("| Kind | Fields (required in bold) | How to set it up |\n| --- | --- | --- |\n");
    for kind in KINDS {
        let fields: Vec<String> = kind
            .fields
            .iter()
            .map(|f| {
                let name = if f.required { format!("**`{}`**", f.name) } else { format!("`{}`", f.name) };
                let default = f.default.map(|d| format!(", default `{d}`")).unwrap_or_default();
                format!("{name}: {}{default}", f.help.trim_end_matches('.'))
            })
            .collect();
        table.push_str(&format!(
            "| `{}` ({}) | {} | {} |\n",
            kind.name,
            kind.title,
            fields.join("; ").replace('|', "\\|"),
            kind.about
        ));
    }
    table
}

/// The README's short table: each kind and the fields it needs.
pub fn readme_table() -> String {
    let mut table = String::from("| Kind | Needs |\n| --- | --- |\n");
    for kind in KINDS {
        let required: Vec<String> =
            kind.fields.iter().filter(|f| f.required).map(|f| format!("`{}`", f.name)).collect();
        table.push_str(&format!("| `{}`: {} | {} |\n", kind.name, kind.title, required.join(", ")));
    }
    table
}

/// `SlackChannelSpec`, `GooglechatChannelSpec`, …
pub fn spec_schema_name(kind: &KindInfo) -> String {
    let mut chars = kind.name.chars();
    let first = chars.next().map(|c| c.to_ascii_uppercase().to_string()).unwrap_or_default();
    format!("{first}{}ChannelSpec", chars.as_str())
}

fn events_schema() -> Value {
    json!({
        "type": "array",
        "items": {"type": "string", "enum": ["down", "up", "late", "reminder", "fail", "success"]},
        "description": "Which events the channel receives: `down`, `up`, `late` (the deadline passed, still within \
    grace), `reminder` (still down, per the check's `reminder_interval`), `fail` (every failure signal, even while down), \
    `success` (every success). Default `[\"down\", \"up\", \"reminder\"]`; an update keeps the channel's."
    })
}

fn common_properties(kinds: Value) -> Map<String, Value> {
    let mut properties = Map::new();
    properties.insert("kind".into(), json!({"type": "string", "enum": kinds}));
    properties.insert("name".into(), json!({"type": "string", "maxLength": 100}));
    properties.insert(
        "assign_to_all_checks".into(),
        json!({"type": "boolean", "description": "Also make every existing check of the project notify this channel."}),
    );
    properties.insert("events".into(), events_schema());
    debug_assert_eq!(properties.len(), COMMON_FIELDS.len());
    properties
}

/// The channel schemas `openapi.json` must hold, by name.
pub fn openapi_schemas() -> Map<String, Value> {
    let names: Vec<&str> = KINDS.iter().map(|k| k.name).collect();
    let mut schemas = Map::new();
    let mut mapping = Map::new();
    let mut one_of = Vec::new();
    for kind in KINDS {
        let mut properties = common_properties(json!([kind.name]));
        let mut required = vec![json!("kind")];
        for field in kind.fields {
            properties.insert(field.name.into(), field.input_schema());
            if field.required {
                required.push(json!(field.name));
            }
        }
        let name = spec_schema_name(kind);
        schemas.insert(
            name.clone(),
            json!({
                "type": "object",
                "description": format!("{}: {}", kind.title, kind.about),
                "required": required,
                "properties": properties,
                "additionalProperties": false,
            }),
        );
        let reference = format!("#/components/schemas/{name}");
        mapping.insert(kind.name.into(), json!(reference));
        one_of.push(json!({"$ref": reference}));
    }
    schemas.insert(
        "ChannelSpec".into(),
        json!({
            "description": "A new channel: its `kind` and that kind's fields (`GET /api/v3/channels/kinds` lists them).",
            "oneOf": one_of,
            "discriminator": {"propertyName": "kind", "mapping": mapping},
        }),
    );
    // An update names the fields to change, of the channel's own kind.
    let mut update = common_properties(json!(names));
    let mut shown = Map::new();
    for kind in KINDS {
        for field in kind.fields {
            update.entry(field.name).or_insert_with(|| {
                let mut schema = field.input_schema();
                schema.as_object_mut().map(|o| o.remove("description"));
                schema
            });
            let (name, schema) = field.shown_schema();
            shown.entry(name).or_insert(schema);
        }
    }
    schemas.insert(
        "ChannelUpdate".into(),
        json!({
            "type": "object",
            "description": "The fields to change, of the channel's kind; the others keep their values. `kind`, if \
        given, must be the channel's. A field the kind does not have is refused.",
            "properties": update,
            "additionalProperties": false,
        }),
    );
    schemas.insert(
        "Channel".into(),
        json!({
            "type": "object",
            "required": ["id", "name", "kind", "settings", "destination", "managed_by_secret", "events", "failing"],
            "properties": {
                "id": {"type": "string"},
                "name": {"type": "string"},
                "kind": {"type": "string", "enum": names},
                "settings": {
                    "type": "object",
                    "description": "The kind's settings, masked: a URL shows its scheme, host and port, a secret its \
        first characters.",
                    "properties": shown,
                    "additionalProperties": false,
                },
                "destination": {
                    "type": "string",
                    "description": "Where alerts go: the scheme, host and port of the service's URL (an `api_url` \
        override included), or an email channel's addresses.",
                },
                "managed_by_secret": {
                    "type": "boolean",
                    "description": "Kept from the SLACK_WEBHOOK_URL or PAGERDUTY_ROUTING_KEY secret: read-only here.",
                },
                "events": {
                    "type": "array",
                    "items": {"type": "string", "enum": ["down", "up", "late", "reminder", "fail", "success"]},
                    "description": "Which events the channel receives.",
                },
                "failing": {
                    "type": "object",
                    "nullable": true,
                    "description": "Set when the service refused for good (the webhook, token or room is gone): \
nothing is sent through the channel until it is edited or a channel test through it is delivered. `null` otherwise.",
                    "required": ["since", "reason"],
                    "properties": {
                        "since": {"type": "string", "format": "date-time"},
                        "reason": {"type": "string"},
                    },
                    "additionalProperties": false,
                },
            },
            "additionalProperties": false,
        }),
    );
    let field = json!({
        "type": "object",
        "required": ["name", "label", "help", "type", "required", "default", "choices"],
        "properties": {
            "name": {"type": "string"},
            "label": {"type": "string"},
            "help": {"type": "string"},
            "type": {"type": "string", "enum": ["text", "secret", "url", "choice", "emails", "headers"]},
            "required": {"type": "boolean"},
            "default": {"type": "string", "nullable": true},
            "choices": {"type": "array", "items": {"type": "string"}, "nullable": true},
        },
        "additionalProperties": false,
    });
    schemas.insert(
        "ChannelKinds".into(),
        json!({
            "type": "object",
            "required": ["kinds"],
            "properties": {
                "kinds": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["kind", "title", "about", "fields", "example"],
                        "properties": {
                            "kind": {"type": "string", "enum": names},
                            "title": {"type": "string"},
                            "about": {"type": "string"},
                            "fields": {"type": "array", "items": field},
                            "example": {"type": "object", "description": "The kind's fields in an example request."},
                        },
                        "additionalProperties": false,
                    },
                },
            },
            "additionalProperties": false,
        }),
    );
    schemas
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_spec_schema_with_its_fields() {
        let schemas = openapi_schemas();
        for kind in KINDS {
            let spec = &schemas[&spec_schema_name(kind)];
            for field in kind.fields {
                assert!(spec["properties"].get(field.name).is_some(), "{}.{}", kind.name, field.name);
            }
            assert!(schemas["ChannelSpec"]["discriminator"]["mapping"][kind.name].is_string());
        }
        let chat = crate::channels::kind_info("googlechat").unwrap();
        assert_eq!(spec_schema_name(chat), "GooglechatChannelSpec");
        assert_eq!(kinds_json()["kinds"].as_array().unwrap().len(), KINDS.len());
    }
}
