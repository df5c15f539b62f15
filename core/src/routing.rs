//! Who hears what. A check's routes are the channels linked to it, each with
//! the events it asked for; with the deployment's default channels (kept
//! from secrets) they decide the recipients of every flip and event. The
//! routes are kept on the check row itself, so that the ping path, which
//! reads (or has cached) only that row, decides who hears of a ping's own
//! event without looking through links and channels; every change of links
//! or of a channel's events rewrites the routes of the checks it touches
//! and bumps their configuration version, so a write decided from stale
//! routes never lands.

use crate::channel::Channel;
use crate::check::{EventKind, EventSet};
use serde::{Deserialize, Serialize};

/// One linked channel and the events it receives.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub channel: String,
    pub events: Vec<EventKind>,
}

/// The channels linked to a check, sorted by channel id, each once.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Routes(Vec<Link>);

impl Routes {
    /// Routes to these channels, each with its own events.
    pub fn to_channels<'a>(channels: impl IntoIterator<Item = &'a Channel>) -> Routes {
        Routes::of(channels.into_iter().map(|c| Link { channel: c.id.clone(), events: c.events.kinds().to_vec() }))
    }

    fn of(links: impl IntoIterator<Item = Link>) -> Routes {
        let mut links: Vec<Link> =
            links.into_iter().map(|l| Link { events: EventSet::of(&l.events).kinds().to_vec(), ..l }).collect();
        crate::sorting::sort_by(&mut links, |a, b| a.channel.cmp(&b.channel));
        links.dedup_by(|a, b| a.channel == b.channel);
        Routes(links)
    }

    /// The linked channel ids, sorted.
    pub fn channel_ids(&self) -> Vec<String> {
        self.0.iter().map(|l| l.channel.clone()).collect()
    }

    pub fn links(&self) -> &[Link] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn links_to(&self, channel: &str) -> bool {
        self.0.iter().any(|l| l.channel == channel)
    }

    /// The same routes with `channel` receiving `events` (linked if it was
    /// not, when `link` is set).
    pub fn with_channel(&self, channel: &Channel, link: bool) -> Routes {
        if !link && !self.links_to(&channel.id) {
            return self.clone();
        }
        let others = self.0.iter().filter(|l| l.channel != channel.id).cloned();
        Routes::of(others.chain([Link { channel: channel.id.clone(), events: channel.events.kinds().to_vec() }]))
    }

    /// The same routes without `channel`.
    pub fn without(&self, channel: &str) -> Routes {
        Routes(self.0.iter().filter(|l| l.channel != channel).cloned().collect())
    }

    /// Every event any linked channel receives.
    pub fn listeners(&self) -> EventSet {
        EventSet::of(&self.0.iter().flat_map(|l| l.events.iter().copied()).collect::<Vec<_>>())
    }

    /// As stored in the `routes` column: JSON, readable by a person
    /// (`[{"channel": "…", "events": ["down", "up"]}]`).
    pub fn to_stored(&self) -> String {
        serde_json::to_string(&self.0).unwrap_or_else(|_| "[]".into())
    }

    pub fn from_stored(text: &str) -> Result<Routes, String> {
        if text.is_empty() {
            return Ok(Routes::default());
        }
        let links: Vec<Link> = serde_json::from_str(text).map_err(|e| format!("routes: {e}"))?;
        Ok(Routes::of(links))
    }
}

/// Who is told of an event of `kind`: the linked channels that asked for
/// it and the default channels that did, sorted, each once. Nobody while
/// the check's notifications are held (`muted`).
pub fn recipients(routes: &Routes, defaults: &[Channel], kind: EventKind, muted: bool) -> Vec<String> {
    if muted {
        return Vec::new();
    }
    let mut ids: Vec<String> = routes
        .0
        .iter()
        .filter(|l| l.events.contains(&kind))
        .map(|l| l.channel.clone())
        .chain(defaults.iter().filter(|c| c.events.contains(kind)).map(|c| c.id.clone()))
        .collect();
    crate::sorting::sort(&mut ids);
    ids.dedup();
    ids
}

/// Whether anyone at all listens for `kind` (held or not): an event nobody
/// would ever hear is not recorded.
pub fn anyone_listens(routes: &Routes, defaults: &[Channel], kind: EventKind) -> bool {
    routes.0.iter().any(|l| l.events.contains(&kind)) || defaults.iter().any(|c| c.events.contains(kind))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::ChannelConfig;

    fn channel(id: &str, events: &[EventKind]) -> Channel {
        Channel {
            id: id.into(),
            name: id.into(),
            config: ChannelConfig::Slack(crate::channels::slack::Slack {
                url: "https://hooks.slack.com/services/x".into(),
            }),
            events: EventSet::of(events),
            failing: None,
        }
    }

    #[test]
    fn recipients_are_the_channels_that_asked_for_the_kind() {
        let a = channel("a", &[EventKind::Down, EventKind::Up]);
        let b = channel("b", &[EventKind::Fail]);
        let routes = Routes::to_channels([&b, &a]);
        let default = [channel("default-slack", &[EventKind::Down, EventKind::Up, EventKind::Reminder])];
        assert_eq!(recipients(&routes, &default, EventKind::Down, false), ["a", "default-slack"]);
        assert_eq!(recipients(&routes, &default, EventKind::Fail, false), ["b"]);
        assert_eq!(recipients(&routes, &default, EventKind::Success, false), Vec::<String>::new());
        assert!(recipients(&routes, &default, EventKind::Down, true).is_empty());
        assert!(anyone_listens(&routes, &[], EventKind::Fail));
        assert!(!anyone_listens(&routes, &default, EventKind::Late));
    }

    #[test]
    fn routes_round_trip_through_their_column_sorted_and_once() {
        let routes = Routes::to_channels([&channel("z", &[EventKind::Up]), &channel("a", &[EventKind::Down])]);
        assert_eq!(routes.channel_ids(), ["a", "z"]);
        let stored = routes.to_stored();
        assert_eq!(stored, r#"[{"channel":"a","events":["down"]},{"channel":"z","events":["up"]}]"#);
        assert_eq!(Routes::from_stored(&stored), Ok(routes.clone()));
        assert_eq!(Routes::from_stored(""), Ok(Routes::default()));
        assert!(Routes::from_stored("{").is_err());
        let changed = routes.with_channel(&channel("a", &[EventKind::Fail, EventKind::Success]), false);
        assert_eq!(changed.listeners(), EventSet::of(&[EventKind::Up, EventKind::Fail, EventKind::Success]));
        assert_eq!(routes.with_channel(&channel("new", &[]), false), routes, "not linked, not added");
        assert_eq!(routes.with_channel(&channel("new", &[]), true).channel_ids(), ["a", "new", "z"]);
        assert_eq!(routes.without("a").channel_ids(), ["z"]);
    }
}
