//! `/api/v3/channels/…`: a project's channels (and the default ones kept
//! from secrets, read-only), their test notification, and what a change to
//! one does to the routes of the project's checks (`decide::channel_plan`),
//! written only if the project's routing is still as read.

use super::{Api, ApiError};
use crate::app::deliver::send_alert;
use crate::app::{Handled, Platform};
use crate::domain::alert::Alert;
use crate::domain::api::spec::SpecError;
use crate::domain::channel::{channel_json, failing_mark, parse_channel_spec, Channel, ChannelConfig};
use crate::domain::channels::Context;
use crate::domain::decide::channel_plan;
use crate::domain::ids::Uuid;
use crate::domain::outbox::AttemptResult;
use crate::domain::plan::{ChannelApplied, ChannelChange, RoutingGuard};
use crate::domain::reply::Reply;
use crate::domain::route::{Method, Route};
use crate::store::Store;
use serde_json::{json, Value};

/// A change that found the project's routing changed under it tries again
/// this many times.
const ATTEMPTS: usize = 5;

pub async fn handle<S: Store, P: Platform>(
    api: &Api<'_, S, P>,
    route: &Route,
    body: &[u8],
) -> Result<Handled, ApiError> {
    let allow_private = api.app.settings.allow_private_destinations;
    let reply = match (route, api.req.method) {
        (Route::Channels, Method::Get) => {
            let channels: Vec<Value> =
                api.all_channels().await?.iter().map(|(c, managed)| channel_json(c, *managed)).collect();
            Reply::json(200, &json!({ "channels": channels }))
        }
        (Route::Channels, _) => {
            let spec = parse_channel_spec(body, None, allow_private)?;
            // An email channel on a deployment that cannot send email would
            // fail every notification: say so now.
            if matches!(spec.config, ChannelConfig::Email(_)) && api.app.settings.email_from.is_none() {
                let unset = "email is not set up on this edgebeat: its operator sets EMAIL_FROM (docs/email.md)";
                return Err(SpecError::Invalid(unset.into()).into());
            }
            let channel = Channel {
                id: Uuid::random()?.to_string(),
                name: spec.name,
                config: spec.config,
                events: spec.events,
                failing: None,
            };
            api.change_channel(
                &channel,
                ChannelChange::Save { max_channels: 0, at: api.view.now },
                spec.assign_to_all_checks,
                "channel.create",
            )
            .await?;
            Reply::json(201, &channel_json(&channel, false))
        }
        (Route::Channel(id), method) => {
            let (channel, managed) = api.find_channel(id).await?;
            if managed && method != Method::Get {
                return Err(ApiError::ManagedChannel);
            }
            match method {
                Method::Get => Reply::json(200, &channel_json(&channel, managed)),
                Method::Post => {
                    let spec = parse_channel_spec(body, Some(&channel), allow_private)?;
                    // An edit clears a failing mark: the user changed what was refused.
                    let updated = Channel {
                        id: channel.id,
                        name: spec.name,
                        config: spec.config,
                        events: spec.events,
                        failing: None,
                    };
                    let change = ChannelChange::Save { max_channels: 0, at: api.view.now };
                    api.change_channel(&updated, change, spec.assign_to_all_checks, "channel.edit").await?;
                    Reply::json(200, &channel_json(&updated, false))
                }
                _ => {
                    api.change_channel(&channel, ChannelChange::Delete, false, "channel.delete").await?;
                    Reply::json(200, &channel_json(&channel, false))
                }
            }
        }
        (Route::ChannelTest(id), _) => {
            let (channel, managed) = api.find_channel(id).await?;
            Reply::json(200, &api.test_channel(&channel, managed).await?)
        }
        _ => return Err(ApiError::NotFound),
    };
    Ok(reply.into())
}

impl<S: Store, P: Platform> Api<'_, S, P> {
    /// The project's channels and the default ones kept from secrets
    /// (flagged `true`).
    async fn all_channels(&self) -> Result<Vec<(Channel, bool)>, ApiError> {
        let mut channels: Vec<(Channel, bool)> =
            self.store.channels(&self.project).await?.into_iter().map(|c| (c, false)).collect();
        channels.extend(self.app.default_channels().into_iter().map(|c| (c, true)));
        Ok(channels)
    }

    async fn find_channel(&self, id: &str) -> Result<(Channel, bool), ApiError> {
        self.all_channels().await?.into_iter().find(|(c, _)| c.id == id).ok_or(ApiError::NotFound)
    }

    /// Saves or deletes a channel and the routes of the checks it touches,
    /// within the project's channel limit, logged as `action` (its name and
    /// kind: never its settings, which can hold secrets).
    async fn change_channel(
        &self,
        channel: &Channel,
        change: ChannelChange,
        assign_to_all: bool,
        action: &str,
    ) -> Result<(), ApiError> {
        let detail = json!({"id": channel.id, "name": channel.name, "kind": channel.config.kind()});
        let limit = self.app.settings.max_channels_per_project;
        let change = match change {
            ChannelChange::Save { at, .. } => ChannelChange::Save { max_channels: limit, at },
            delete => delete,
        };
        for _ in 0..ATTEMPTS {
            let version = self.store.routing_version(&self.project).await?;
            let (checks, _) = self.store.list_check_states(&self.project).await?;
            let routing = RoutingGuard { project_id: self.project.clone(), version };
            let mut plan = channel_plan(channel.clone(), change.clone(), assign_to_all, &checks, routing);
            plan.audit = Some(self.audit(action, None, detail.clone()));
            match self.store.apply_channel(&self.project, &plan).await? {
                ChannelApplied::Applied => return Ok(()),
                ChannelApplied::AtLimit => return Err(ApiError::ChannelLimit(limit)),
                ChannelApplied::Stale => continue,
            }
        }
        Err(ApiError::Contended)
    }

    /// Sends a test alert through a channel right away and reports the result.
    async fn test_channel(&self, channel: &Channel, managed: bool) -> Result<Value, ApiError> {
        let label = if channel.name.is_empty() { channel.config.kind() } else { &channel.name };
        let page = format!("{}/app/#/channels", self.view.urls.base);
        let alert = Alert::channel_test(label, &channel.id, page, self.view.now);
        // A destination the policy forbids is never contacted, not even to test.
        let allow_private = self.app.settings.allow_private_destinations;
        let email_from = self.app.settings.email_from.as_deref();
        let context = Context { delivery_id: "test", now: self.view.now, email_from };
        let result = send_alert(self.app.platform, &channel.config, &alert, &context, allow_private, managed).await;
        let delivered = result.is_delivered();
        // The test is how a user checks a fix: delivered clears a failing
        // mark, and a permanent refusal sets one (no notice: they see it).
        let config = channel.config.to_stored();
        if delivered && channel.failing.is_some() {
            self.store.clear_channel_failing(&self.project, &channel.id, &config).await?;
        }
        if let AttemptResult::Refused { reason, .. } = &result {
            if !managed {
                let mark = failing_mark(&self.project, channel, reason, self.view.now, &[], None, String::new());
                self.store.mark_channel_failing(&mark).await?;
            }
        }
        // What a server said on taking it (an SMTP reply names any recipient it refused).
        let response = match &result {
            AttemptResult::Accepted(reply) => Some(reply.clone()),
            _ => None,
        };
        Ok(json!({"delivered": delivered, "status": result.status(), "error": result.error(), "response": response}))
    }
}
