//! People and projects: `GET /api/v3/me`, a project's members (owners and
//! the admin), new API keys, deleting a project, and the logs of changes
//! per project and per check. Every change here is logged with it.

use super::auth::{memberships, Caller};
use super::{Api, ApiError};
use crate::app::{App, Platform};
use crate::domain::access::members::{member_plan, normalize_email, parse_member, MemberApplied, MemberChange};
use crate::domain::access::roles::Actor;
use crate::domain::api::spec::SpecError;
use crate::domain::audit::{audit_json, page};
use crate::domain::ids::{key_hash, KeyKind};
use crate::domain::reply::Reply;
use crate::domain::route::{Method, Route};
use crate::domain::shard::key_on;
use crate::store::{Member, Store};
use serde_json::{json, Value};

/// `GET /api/v3/me`: the person (or key) and the projects it reaches.
pub async fn me<S: Store, P: Platform>(app: &App<'_, S, P>, caller: &Caller) -> Result<Reply, ApiError> {
    let project = |id: &str, name: &str, role: &str| json!({"id": id, "name": name, "role": role});
    let body = match caller {
        Caller::Person(email) => {
            let projects: Vec<Value> = memberships(app, email)
                .await?
                .iter()
                .map(|m| project(&m.project_id, &m.name, m.role.as_str()))
                .collect();
            json!({"email": email, "key": null, "projects": projects})
        }
        Caller::Key { key, read_only, project: id, shard } => {
            let actor = Actor::key(key, *read_only);
            let store = app.shards.get(*shard).ok_or(ApiError::NotFound)?;
            let name = store.project_badges(id).await?.map(|p| p.name).unwrap_or_default();
            let role = actor.role().map(|r| r.as_str()).unwrap_or_default();
            json!({"email": null, "key": actor.label(), "projects": [project(id, &name, role)]})
        }
        Caller::Admin => return Err(ApiError::NotFound),
    };
    Ok(Reply::json(200, &body))
}

fn member_json(member: &Member) -> Value {
    json!({"email": member.email, "role": member.role.as_str(), "added": member.created_at.iso8601()})
}

pub async fn handle<S: Store, P: Platform>(api: &Api<'_, S, P>, route: &Route, body: &[u8]) -> Result<Reply, ApiError> {
    match (route, api.req.method) {
        (Route::Project(_), _) => api.delete_project().await,
        (Route::ProjectMembers(_), Method::Get) => {
            api.store.project_badges(&api.project).await?.ok_or(ApiError::NotFound)?;
            let members: Vec<Value> = api.store.members(&api.project).await?.iter().map(member_json).collect();
            Ok(Reply::json(200, &json!({ "members": members })))
        }
        (Route::ProjectMembers(_), _) => {
            let (email, role) = parse_member(body)?;
            let current = api.store.role_of(&api.project, &email).await?;
            let action = if current.is_some() { "member.role" } else { "member.add" };
            let detail = json!({"email": email, "role": role.as_str(), "was": current.map(|r| r.as_str())});
            api.change_member(&email, MemberChange::Save(role), action, detail).await?;
            let member = api.store.members(&api.project).await?.into_iter().find(|m| m.email == email);
            let member = member.ok_or(ApiError::NotFound)?;
            Ok(Reply::json(if current.is_some() { 200 } else { 201 }, &member_json(&member)))
        }
        (Route::ProjectMember { email, .. }, _) => {
            let email = normalize_email(email).map_err(|_| ApiError::NotFound)?;
            let current = api.store.role_of(&api.project, &email).await?.ok_or(ApiError::NotFound)?;
            let detail = json!({"email": email, "was": current.as_str()});
            api.change_member(&email, MemberChange::Remove, "member.remove", detail).await?;
            Ok(Reply::json(200, &json!({"email": email, "role": current.as_str(), "removed": true})))
        }
        (Route::ProjectKeys(_), _) => api.new_keys().await,
        (Route::ProjectAudit(_), _) => {
            let (limit, before) = page(&api.req.query).map_err(SpecError::Query)?;
            let entries = api.store.audit_entries(&api.project, None, before, limit).await?;
            Ok(Reply::json(200, &audit_json(&entries, limit, api.view.read_only)))
        }
        (Route::CheckAudit(check), _) => {
            let (limit, before) = page(&api.req.query).map_err(SpecError::Query)?;
            let check = api.find_check(check).await?;
            let entries = api.store.audit_entries(&api.project, Some(&check.uuid), before, limit).await?;
            Ok(Reply::json(200, &audit_json(&entries, limit, api.view.read_only)))
        }
        _ => Err(ApiError::NotFound),
    }
}

impl<S: Store, P: Platform> Api<'_, S, P> {
    async fn change_member(
        &self,
        email: &str,
        change: MemberChange,
        action: &str,
        detail: Value,
    ) -> Result<(), ApiError> {
        let plan = member_plan(&self.project, email, change, self.audit(action, None, detail));
        match self.store.apply_member(&plan).await? {
            MemberApplied::Applied => Ok(()),
            MemberApplied::LastOwner => Err(ApiError::LastOwner),
            MemberApplied::AtLimit => Err(ApiError::MemberLimit(plan.max_members)),
            MemberApplied::NotAMember | MemberApplied::NoProject => Err(ApiError::NotFound),
        }
    }

    /// `DELETE /api/v3/projects/<id>`: the project and everything of it.
    async fn delete_project(&self) -> Result<Reply, ApiError> {
        let name = self.store.project_badges(&self.project).await?.ok_or(ApiError::NotFound)?.name;
        let audit = self.audit("project.delete", None, json!({"name": name}));
        if !self.store.delete_project(&self.project, &audit).await? {
            return Err(ApiError::NotFound);
        }
        Ok(Reply::json(200, &json!({"id": self.project, "name": name, "deleted": true})))
    }

    /// `POST /api/v3/projects/<id>/keys/`: new API keys; the old stop working.
    async fn new_keys(&self) -> Result<Reply, ApiError> {
        let api_key = key_on(KeyKind::ReadWrite, self.shard)?;
        let api_key_readonly = key_on(KeyKind::ReadOnly, self.shard)?;
        let audit = self.audit("keys.replace", None, json!({}));
        let replaced = self
            .store
            .replace_api_keys(&self.project, &key_hash(&api_key), &key_hash(&api_key_readonly), &audit, self.view.now)
            .await?;
        if !replaced {
            return Err(ApiError::NotFound);
        }
        Ok(Reply::json(200, &json!({"api_key": api_key, "api_key_readonly": api_key_readonly})))
    }
}
