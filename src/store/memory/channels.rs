//! `ChannelStore` and `WindowStore`: a project's channels, the routing
//! version that guards who hears what, and its maintenance windows.

use super::tables::{
    next_id, StoredChannel, StoredCheck, StoredFlip, StoredNotification, StoredWindow, Tables, PENDING,
};
use super::MemoryStore;
use crate::domain::channel::{Channel, ChannelConfig, Failing};
use crate::domain::maintenance::Window;
use crate::domain::plan::{ChannelApplied, ChannelChange, ChannelPlan, FailingMark};
use crate::domain::time::Timestamp;
use crate::store::{ChannelStore, ProjectWindows, StoreError, WindowStore, Windows};

impl Tables {
    fn channels(&self, project_id: &str) -> Result<Vec<Channel>, StoreError> {
        let mut rows: Vec<&StoredChannel> = self.channels.iter().filter(|c| c.project_id == project_id).collect();
        rows.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        rows.into_iter()
            .map(|c| {
                let config = ChannelConfig::from_stored(&c.config)
                    .map_err(|e| StoreError::Corrupt(format!("channel {}: {e}", c.id)))?;
                Ok(Channel {
                    id: c.id.clone(),
                    name: c.name.clone(),
                    config,
                    events: c.events.clone(),
                    failing: c.failing.clone(),
                })
            })
            .collect()
    }

    fn apply_channel(&mut self, project_id: &str, plan: &ChannelPlan) -> ChannelApplied {
        let version = self.project(project_id).map(|p| p.routing_version);
        if plan.routing.project_id != project_id || version != Some(plan.routing.version) {
            return ChannelApplied::Stale;
        }
        let channel = &plan.channel;
        match plan.change {
            ChannelChange::Save { max_channels, at } => {
                let count = self.channels.iter().filter(|c| c.project_id == project_id).count() as i64;
                match self.channels.iter_mut().find(|c| c.id == channel.id) {
                    Some(row) if row.project_id == project_id => {
                        row.name = channel.name.clone();
                        row.kind = channel.config.kind().to_owned();
                        row.config = channel.config.to_stored();
                        row.events = channel.events.clone();
                        row.failing = None;
                    }
                    // Another project's channel id: neither its to replace nor free to take.
                    Some(_) => return ChannelApplied::AtLimit,
                    None if count < max_channels => self.channels.push(StoredChannel {
                        id: channel.id.clone(),
                        project_id: project_id.to_owned(),
                        name: channel.name.clone(),
                        kind: channel.config.kind().to_owned(),
                        config: channel.config.to_stored(),
                        events: channel.events.clone(),
                        created_at: at,
                        failing: None,
                    }),
                    None => return ChannelApplied::AtLimit,
                }
            }
            ChannelChange::Delete => self.channels.retain(|c| !(c.id == channel.id && c.project_id == project_id)),
        }
        for reroute in &plan.reroutes {
            let named = |r: &&mut StoredCheck| r.check.project_id == project_id && r.check.uuid == reroute.uuid;
            if let Some(row) = self.checks.get_mut(&reroute.check_id).filter(named) {
                row.check.routes = reroute.routes.clone();
                row.check.config_version += 1;
            }
        }
        if let Some(project) = self.project_mut(project_id) {
            project.routing_version += 1;
        }
        if let Some(entry) = &plan.audit {
            self.record_audit(entry);
        }
        ChannelApplied::Applied
    }

    /// The channel a failing mark or its clearing is about, if it is the
    /// project's and configured as `config`.
    fn markable(&mut self, project_id: &str, channel_id: &str, config: &str) -> Option<&mut StoredChannel> {
        self.channels.iter_mut().find(|c| c.id == channel_id && c.project_id == project_id && c.config == config)
    }

    fn mark_channel_failing(&mut self, mark: &FailingMark) -> bool {
        match self.markable(&mark.project_id, &mark.channel_id, &mark.config) {
            Some(row) if row.failing.is_none() => {
                row.failing = Some(Failing { since: mark.at, reason: mark.reason.clone() })
            }
            _ => return false,
        }
        let Some(notice) = &mark.notice else { return true };
        let Some(project_id) = self.checks.get(&notice.check_id).map(|c| c.check.project_id.clone()) else {
            return true;
        };
        let rowid = next_id(self.flips.iter().map(|f| f.rowid));
        self.flips.push(StoredFlip {
            rowid,
            id: notice.id.clone(),
            check_id: notice.check_id,
            created_at: mark.at,
            old_status: notice.status,
            new_status: notice.status,
            reason: "channel_failing".into(),
            previous_change_at: None,
            ping_n: None,
            event: None,
            notice: Some(notice.detail.clone()),
        });
        for channel in &notice.recipients {
            let id = next_id(self.notifications.keys().copied());
            self.notifications.insert(
                id,
                StoredNotification {
                    id,
                    flip_id: notice.id.clone(),
                    channel_id: channel.clone(),
                    check_id: notice.check_id,
                    project_id: project_id.clone(),
                    state: PENDING.to_owned(),
                    attempts: 0,
                    created_at: mark.at,
                    next_attempt_at: mark.at,
                    claim: None,
                    claimed_until: None,
                    last_status: None,
                    last_error: None,
                    finished_at: None,
                    attempt_log: Vec::new(),
                },
            );
        }
        true
    }

    fn clear_channel_failing(&mut self, project_id: &str, channel_id: &str, config: &str) -> bool {
        match self.markable(project_id, channel_id, config) {
            Some(row) if row.failing.is_some() => {
                row.failing = None;
                true
            }
            _ => false,
        }
    }

    /// The windows of the projects `of` selects, by project, then oldest
    /// first; unreadable rows as problems.
    fn windows_where(&self, of: impl Fn(&str) -> bool) -> ProjectWindows {
        let mut rows: Vec<&StoredWindow> = self.windows.iter().filter(|w| of(&w.project_id)).collect();
        rows.sort_by(|a, b| {
            (&a.project_id, a.created_at, &a.window.id).cmp(&(&b.project_id, b.created_at, &b.window.id))
        });
        let (mut windows, mut problems) = (Vec::new(), Vec::new());
        for row in rows {
            match &row.unreadable {
                None => windows.push((row.project_id.clone(), row.window.clone())),
                Some(problem) => {
                    problems.push(StoreError::Corrupt(format!("maintenance window {}: {problem}", row.window.id)))
                }
            }
        }
        (windows, problems)
    }

    fn save_window(&mut self, project_id: &str, window: &Window, max: i64, now: Timestamp) -> bool {
        let count = self.windows.iter().filter(|w| w.project_id == project_id).count() as i64;
        match self.windows.iter_mut().find(|w| w.window.id == window.id) {
            Some(row) if row.project_id == project_id => {
                row.window = window.clone();
                row.unreadable = None;
                true
            }
            Some(_) => false,
            None if count < max => {
                let row = StoredWindow {
                    project_id: project_id.to_owned(),
                    window: window.clone(),
                    created_at: now,
                    unreadable: None,
                };
                self.windows.push(row);
                true
            }
            None => false,
        }
    }
}

impl ChannelStore for MemoryStore {
    async fn channels(&self, project_id: &str) -> Result<Vec<Channel>, StoreError> {
        self.read("channels", |t| t.channels(project_id))
    }

    async fn routing_version(&self, project_id: &str) -> Result<i64, StoreError> {
        self.read("routing_version", |t| Ok(t.project(project_id).map_or(0, |p| p.routing_version)))
    }

    async fn apply_channel(&self, project_id: &str, plan: &ChannelPlan) -> Result<ChannelApplied, StoreError> {
        self.write("apply_channel", |t| Ok(t.apply_channel(project_id, plan)))
    }

    async fn mark_channel_failing(&self, mark: &FailingMark) -> Result<bool, StoreError> {
        self.write("mark_channel_failing", |t| Ok(t.mark_channel_failing(mark)))
    }

    async fn clear_channel_failing(
        &self,
        project_id: &str,
        channel_id: &str,
        config: &str,
    ) -> Result<bool, StoreError> {
        self.write("clear_channel_failing", |t| Ok(t.clear_channel_failing(project_id, channel_id, config)))
    }
}

impl WindowStore for MemoryStore {
    async fn windows(&self, project_id: &str) -> Result<Windows, StoreError> {
        self.read("windows", |t| {
            let (windows, problems) = t.windows_where(|p| p == project_id);
            Ok((windows.into_iter().map(|(_, window)| window).collect(), problems))
        })
    }

    async fn windows_of_projects(&self, project_ids: &[String]) -> Result<ProjectWindows, StoreError> {
        self.read("windows_of_projects", |t| Ok(t.windows_where(|p| project_ids.iter().any(|id| id == p))))
    }

    async fn save_window(
        &self,
        project_id: &str,
        window: &Window,
        max: i64,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        self.write("save_window", |t| Ok(t.save_window(project_id, window, max, now)))
    }

    async fn delete_window(&self, project_id: &str, id: &str) -> Result<(), StoreError> {
        self.write("delete_window", |t| {
            t.windows.retain(|w| !(w.window.id == id && w.project_id == project_id));
            Ok(())
        })
    }
}
