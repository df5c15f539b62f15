//! Integrations: each turns an `Alert` into the HTTP request its service
//! expects. Sending is the adapter's job; these are pure and tested natively.

pub mod pagerduty;
pub mod slack;
pub mod webhook;

use crate::alert::Alert;
use crate::channel::ChannelConfig;
use crate::time::Timestamp;

/// An HTTP request to make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outgoing {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Outgoing {
    fn json_post(url: &str, body: &serde_json::Value) -> Outgoing {
        Outgoing {
            method: "POST".into(),
            url: url.into(),
            headers: vec![
                ("Content-Type".into(), "application/json".into()),
                ("User-Agent".into(), concat!("edgebeat/", env!("CARGO_PKG_VERSION")).into()),
            ],
            body: body.to_string().into_bytes(),
        }
    }
}

/// The request that delivers `alert` through a channel. `delivery_id`
/// identifies the notification, so receivers can drop duplicates.
pub fn request_for(channel: &ChannelConfig, alert: &Alert, delivery_id: &str, now: Timestamp) -> Outgoing {
    match channel {
        ChannelConfig::Slack { url } => Outgoing::json_post(url, &slack::message(alert)),
        ChannelConfig::Pagerduty { routing_key, severity, events_url } => {
            Outgoing::json_post(events_url, &pagerduty::event(alert, routing_key, severity))
        }
        ChannelConfig::Webhook { url, method, headers, secret } => {
            webhook::request(alert, url, method, headers, secret.as_deref(), delivery_id, now)
        }
    }
}
