//! A project's members: email addresses as stored (normalized, so that
//! `Ada@Example.com` and `ada@example.com` are one person), the bodies the
//! API takes, and the plans that change members. A project that has an
//! owner keeps one: no plan leaves it without (storage checks that
//! atomically, as the plan says).

use super::roles::Role;
use crate::api::spec::SpecError;
use crate::audit::AuditWrite;
use serde_json::Value;

/// The longest email address (RFC 5321's path limit).
pub const MAX_EMAIL: usize = 254;
/// Members one project may have.
pub const MAX_MEMBERS: i64 = 200;

/// An email address as stored and compared: trimmed and lower-cased.
/// Refused unless it looks like one address (`local@domain.tld`, no spaces).
pub fn normalize_email(text: &str) -> Result<String, SpecError> {
    let email = text.trim().to_lowercase();
    let invalid = || SpecError::Invalid(format!("{text:?} is not an email address"));
    if email.is_empty() || email.len() > MAX_EMAIL || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid());
    }
    let (local, domain) = email.rsplit_once('@').ok_or_else(invalid)?;
    let domain_ok = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && !domain.contains('@');
    if local.is_empty() || !domain_ok || email.contains('/') {
        return Err(invalid());
    }
    Ok(email)
}

fn object(body: &[u8], allowed: &[&str]) -> Result<serde_json::Map<String, Value>, SpecError> {
    let value: Value = serde_json::from_slice(body).map_err(|_| SpecError::NotJson)?;
    let Value::Object(object) = value else { return Err(SpecError::NotAnObject) };
    if let Some(field) = object.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(SpecError::Invalid(format!("unknown field {field:?}")));
    }
    Ok(object)
}

fn text_field<'a>(object: &'a serde_json::Map<String, Value>, name: &str) -> Result<Option<&'a str>, SpecError> {
    match object.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(SpecError::Invalid(format!("{name} is not a string"))),
    }
}

/// `POST …/members/`: `{"email": "...", "role": "owner" | "member" | "viewer"}`.
pub fn parse_member(body: &[u8]) -> Result<(String, Role), SpecError> {
    let object = object(body, &["email", "role"])?;
    let email = text_field(&object, "email")?.ok_or_else(|| SpecError::Invalid("email is required".into()))?;
    let role = text_field(&object, "role")?.ok_or_else(|| SpecError::Invalid("role is required".into()))?;
    let role = Role::parse(role)
        .ok_or_else(|| SpecError::Invalid(format!("role {role:?} is not one of owner, member, viewer")))?;
    Ok((normalize_email(email)?, role))
}

/// `POST /api/v3/projects/`: `{"name": "...", "owner": "<email>"}`; the
/// name is required and not blank, the owner optional (a project without
/// members is reached by its keys only, as before people existed).
pub fn parse_new_project(body: &[u8]) -> Result<(String, Option<String>), SpecError> {
    // A project without a name is a blank row in every list that shows it.
    let required = || SpecError::Invalid("name is required: send {\"name\": \"...\"}".into());
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(required());
    }
    let object = object(body, &["name", "owner"])?;
    let name = text_field(&object, "name")?.map(str::trim).unwrap_or_default();
    if name.is_empty() {
        return Err(required());
    }
    if name.chars().count() > 100 {
        return Err(SpecError::Invalid("name is too long".into()));
    }
    let owner = text_field(&object, "owner")?.map(normalize_email).transpose()?;
    Ok((name.to_owned(), owner))
}

/// A change to one member of a project.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MemberChange {
    /// Adds the member with this role, or gives them this role.
    Save(Role),
    Remove,
}

/// A change to a project's members, carried out by storage atomically
/// with its log entry, only if its conditions hold (`MemberStore::apply_member`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberPlan {
    pub project_id: String,
    /// Normalized.
    pub email: String,
    pub change: MemberChange,
    /// A new member only while the project has fewer.
    pub max_members: i64,
    /// When `email` is an owner now, the change applies only if another
    /// owner remains (a project keeps an owner once it has one).
    pub keep_an_owner: bool,
    pub audit: AuditWrite,
}

/// What became of a member plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemberApplied {
    Applied,
    /// It would have left the project without an owner.
    LastOwner,
    /// A new member past `max_members`.
    AtLimit,
    /// Removing someone who is not a member.
    NotAMember,
    NoProject,
}

/// The plan for `change` of `email` in `project_id`, with its log entry.
pub fn member_plan(project_id: &str, email: &str, change: MemberChange, audit: AuditWrite) -> MemberPlan {
    MemberPlan {
        project_id: project_id.to_owned(),
        email: email.to_owned(),
        keep_an_owner: change != MemberChange::Save(Role::Owner),
        change,
        max_members: MAX_MEMBERS,
        audit,
    }
}

/// Why a plan did not apply, from what storage found: whether the project
/// exists, the member's current role, and how many owners and members it has.
pub fn why_not_applied(plan: &MemberPlan, project: bool, role: Option<Role>, owners: i64) -> MemberApplied {
    if !project {
        return MemberApplied::NoProject;
    }
    match (&plan.change, role) {
        (MemberChange::Remove, None) => MemberApplied::NotAMember,
        (_, Some(Role::Owner)) if plan.keep_an_owner && owners <= 1 => MemberApplied::LastOwner,
        _ => MemberApplied::AtLimit,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Timestamp;
    use proptest::prelude::*;

    #[test]
    fn emails_are_compared_as_stored() {
        assert_eq!(normalize_email(" Ada@Example.COM "), Ok("ada@example.com".into()));
        assert_eq!(normalize_email("ÉLISE@exemple.fr"), Ok("élise@exemple.fr".into()));
        for bad in [
            "",
            "ada",
            "@example.com",
            "ada@",
            "ada@localhost",
            "a b@example.com",
            "ada@.example.com",
            "ada@example..com",
            "ada@example.com.",
            "a/b@example.com",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad}");
        }
        assert!(normalize_email(&format!("{}@example.com", "a".repeat(250))).is_err());
    }

    #[test]
    fn member_bodies() {
        assert_eq!(parse_member(br#"{"email": "Bo@X.io", "role": "viewer"}"#), Ok(("bo@x.io".into(), Role::Viewer)));
        assert!(parse_member(br#"{"email": "bo@x.io"}"#).is_err());
        assert!(parse_member(br#"{"email": "bo@x.io", "role": "admin"}"#).is_err());
        assert!(parse_member(br#"{"email": "bo@x.io", "role": "owner", "x": 1}"#).is_err());
        assert!(parse_member(br#"{"email": 5, "role": "owner"}"#).is_err());
        assert_eq!(parse_member(b"[]"), Err(SpecError::NotAnObject));
        assert_eq!(parse_member(b"{"), Err(SpecError::NotJson));
    }

    #[test]
    fn project_bodies() {
        for nameless in [&b""[..], b"  ", b"{}", br#"{"name": ""}"#, br#"{"name": " \t "}"#, br#"{"owner": "a@x.io"}"#]
        {
            let refused = parse_new_project(nameless);
            assert!(matches!(&refused, Err(SpecError::Invalid(m)) if m.starts_with("name is required")), "{refused:?}");
        }
        assert_eq!(parse_new_project(br#"{"name": " ops "}"#), Ok(("ops".into(), None)));
        assert_eq!(
            parse_new_project(br#"{"name": "ops", "owner": "Ada@X.io"}"#),
            Ok(("ops".into(), Some("ada@x.io".into())))
        );
        assert!(parse_new_project(br#"{"name": "ops", "owner": "nobody"}"#).is_err());
        assert!(parse_new_project(br#"{"nam": "x"}"#).is_err());
        assert!(parse_new_project(br#"{"name": 1}"#).is_err());
        assert!(parse_new_project(format!(r#"{{"name": "{}"}}"#, "n".repeat(101)).as_bytes()).is_err());
    }

    fn audit() -> AuditWrite {
        AuditWrite::new("p", None, Timestamp::from_secs(1), "a@x.io", "member.add", serde_json::json!({}))
    }

    #[test]
    fn only_making_an_owner_may_skip_the_owner_guard() {
        assert!(!member_plan("p", "a@x.io", MemberChange::Save(Role::Owner), audit()).keep_an_owner);
        assert!(member_plan("p", "a@x.io", MemberChange::Save(Role::Member), audit()).keep_an_owner);
        assert!(member_plan("p", "a@x.io", MemberChange::Remove, audit()).keep_an_owner);
    }

    #[test]
    fn why_a_plan_did_not_apply() {
        let remove = member_plan("p", "a@x.io", MemberChange::Remove, audit());
        assert_eq!(why_not_applied(&remove, false, None, 0), MemberApplied::NoProject);
        assert_eq!(why_not_applied(&remove, true, None, 1), MemberApplied::NotAMember);
        assert_eq!(why_not_applied(&remove, true, Some(Role::Owner), 1), MemberApplied::LastOwner);
        let demote = member_plan("p", "a@x.io", MemberChange::Save(Role::Viewer), audit());
        assert_eq!(why_not_applied(&demote, true, Some(Role::Owner), 1), MemberApplied::LastOwner);
        let add = member_plan("p", "b@x.io", MemberChange::Save(Role::Viewer), audit());
        assert_eq!(why_not_applied(&add, true, None, 1), MemberApplied::AtLimit);
    }

    proptest! {
        /// Normalizing is idempotent and case-insensitive.
        #[test]
        fn normalizing_twice_changes_nothing(local in "[A-Za-z0-9._+-]{1,20}", domain in "[A-Za-z0-9-]{1,10}\\.[A-Za-z]{2,5}") {
            let email = format!("{local}@{domain}");
            let once = normalize_email(&email).unwrap();
            prop_assert_eq!(normalize_email(&once).unwrap(), once.clone());
            prop_assert_eq!(normalize_email(&email.to_uppercase()).unwrap(), once);
        }
    }
}
