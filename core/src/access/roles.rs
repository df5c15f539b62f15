//! Who may do what. Every API request is made by an actor (a person signed
//! in through Access with their role in the project, an API key, or the
//! admin token), and every route and method needs something (`need`); the
//! API refuses a request whose actor lacks it (`Actor::may`) before its
//! handler runs. Keys keep what they could always do: a read-write key
//! acts as a member, a read-only key as a viewer.

use crate::route::{Method, Route};

/// A person's role in a project.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Reads the project's checks (as a read-only key sees them) and its log.
    Viewer,
    /// Also changes checks, channels, pauses, snoozes and windows.
    Member,
    /// Also manages members and keys, and may delete the project.
    Owner,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Owner, Role::Member, Role::Viewer];

    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "owner" => Some(Role::Owner),
            "member" => Some(Role::Member),
            "viewer" => Some(Role::Viewer),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Member => "member",
            Role::Viewer => "viewer",
        }
    }
}

/// Who makes a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    /// Signed in through Access, with their role in the request's project.
    Person { email: String, role: Role },
    /// An API key of the project; `prefix` is its first characters (for the log).
    Key { read_only: bool, prefix: String },
    /// The holder of `ADMIN_TOKEN`.
    Admin,
}

/// What a request needs of its actor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// Being someone: any signed-in person or key.
    Anyone,
    /// Reading the project's checks, flips, windows and badges.
    Read,
    /// Reading the project's log of changes: its readers, and the admin
    /// (who also reads the log of a deleted project).
    Log,
    /// Reading what can hold secrets: ping bodies, channels, the outbox.
    Private,
    /// Changing checks, channels, windows: pausing, snoozing, testing.
    Write,
    /// Members, keys, deleting the project: owners and the admin.
    Manage,
    /// Creating and listing every project: the admin only.
    Admin,
}

/// What `method` on `route` needs (methods a route does not take are
/// refused before this is asked).
pub fn need(route: &Route, method: Method) -> Need {
    let reads = matches!(method, Method::Get | Method::Head | Method::Options);
    match route {
        Route::Projects => Need::Admin,
        Route::Me => Need::Anyone,
        Route::Project(_) | Route::ProjectMembers(_) | Route::ProjectMember { .. } | Route::ProjectKeys(_) => {
            Need::Manage
        }
        Route::ProjectAudit(_) | Route::CheckAudit(_) => Need::Log,
        Route::CheckPings { .. } | Route::PingBody { .. } | Route::Notifications => Need::Private,
        Route::Channels | Route::Channel(_) | Route::ChannelTest(_) if reads => Need::Private,
        // A status page names its checks by UUID (a ping credential).
        Route::StatusPages | Route::StatusPage(_) if reads => Need::Private,
        _ if reads => Need::Read,
        _ => Need::Write,
    }
}

impl Actor {
    /// Whether this actor has what a request needs.
    pub fn may(&self, need: Need) -> bool {
        match self {
            Actor::Admin => matches!(need, Need::Log | Need::Manage | Need::Admin),
            Actor::Key { read_only, .. } => match need {
                Need::Anyone | Need::Read | Need::Log => true,
                Need::Private | Need::Write => !read_only,
                Need::Manage | Need::Admin => false,
            },
            Actor::Person { role, .. } => match need {
                Need::Anyone | Need::Read | Need::Log => true,
                Need::Private | Need::Write => *role >= Role::Member,
                Need::Manage => *role == Role::Owner,
                Need::Admin => false,
            },
        }
    }

    /// Whether checks are shown to it as to a read-only key (no uuids, ping
    /// URLs or channels).
    pub fn reads_only(&self) -> bool {
        !self.may(Need::Private)
    }

    /// How the log of changes names it: an email, `read-write key hcw_abc…`,
    /// or `admin`.
    pub fn label(&self) -> String {
        match self {
            Actor::Person { email, .. } => email.clone(),
            Actor::Key { read_only, prefix } => {
                format!("{} key {prefix}…", if *read_only { "read-only" } else { "read-write" })
            }
            Actor::Admin => "admin".to_owned(),
        }
    }

    /// The role it acts with in its project.
    pub fn role(&self) -> Option<Role> {
        match self {
            Actor::Person { role, .. } => Some(*role),
            Actor::Key { read_only: true, .. } => Some(Role::Viewer),
            Actor::Key { read_only: false, .. } => Some(Role::Member),
            Actor::Admin => None,
        }
    }

    /// The actor an API key is: its first 7 characters name it (`hcw_abc`).
    pub fn key(key: &str, read_only: bool) -> Actor {
        Actor::Key { read_only, prefix: key.chars().take(7).collect() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route::{route, ROUTES};

    const UUID: &str = "0f2ea3c4-5b6d-4e7f-8a9b-0c1d2e3f4a5b";

    fn actors() -> Vec<(&'static str, Actor)> {
        let person = |role| Actor::Person { email: "a@example.com".into(), role };
        vec![
            ("owner", person(Role::Owner)),
            ("member", person(Role::Member)),
            ("viewer", person(Role::Viewer)),
            ("rw-key", Actor::key("hcw_abcdefgh", false)),
            ("ro-key", Actor::key("hcr_abcdefgh", true)),
            ("admin", Actor::Admin),
        ]
    }

    /// The whole matrix, written out: every API route of `ROUTES`, every
    /// method it takes, and which actors may (o owner, m member, v viewer,
    /// w read-write key, r read-only key, a admin).
    const MATRIX: &[(&str, &str, &str)] = &[
        ("/api/v3/projects/", "GET", "a"),
        ("/api/v3/projects/", "POST", "a"),
        ("/api/v3/me", "GET", "omvwr"),
        ("/api/v3/projects/{project_id}", "DELETE", "oa"),
        ("/api/v3/projects/{project_id}/members/", "GET", "oa"),
        ("/api/v3/projects/{project_id}/members/", "POST", "oa"),
        ("/api/v3/projects/{project_id}/members/{email}", "DELETE", "oa"),
        ("/api/v3/projects/{project_id}/keys/", "POST", "oa"),
        ("/api/v3/projects/{project_id}/audit/", "GET", "omvwra"),
        ("/api/v3/checks/{check}/audit/", "GET", "omvwra"),
        ("/api/v3/checks/", "GET", "omvwr"),
        ("/api/v3/checks/", "POST", "omw"),
        ("/api/v3/checks/{check}", "GET", "omvwr"),
        ("/api/v3/checks/{check}", "POST", "omw"),
        ("/api/v3/checks/{check}", "DELETE", "omw"),
        ("/api/v3/checks/{uuid}/pause", "POST", "omw"),
        ("/api/v3/checks/{uuid}/resume", "POST", "omw"),
        ("/api/v3/checks/{uuid}/snooze", "POST", "omw"),
        ("/api/v3/checks/{uuid}/snooze", "DELETE", "omw"),
        ("/api/v3/checks/{uuid}/pings/", "GET", "omw"),
        ("/api/v3/checks/{uuid}/pings/{n}/body", "GET", "omw"),
        ("/api/v3/checks/{check}/flips/", "GET", "omvwr"),
        ("/api/v3/channels/", "GET", "omw"),
        ("/api/v3/channels/kinds", "GET", "omvwr"),
        ("/api/v3/channels/", "POST", "omw"),
        ("/api/v3/channels/{channel_id}", "GET", "omw"),
        ("/api/v3/channels/{channel_id}", "POST", "omw"),
        ("/api/v3/channels/{channel_id}", "DELETE", "omw"),
        ("/api/v3/channels/{channel_id}/test", "POST", "omw"),
        ("/api/v3/maintenance/", "GET", "omvwr"),
        ("/api/v3/maintenance/", "POST", "omw"),
        ("/api/v3/maintenance/{window_id}", "GET", "omvwr"),
        ("/api/v3/maintenance/{window_id}", "POST", "omw"),
        ("/api/v3/maintenance/{window_id}", "DELETE", "omw"),
        ("/api/v3/notifications/", "GET", "omw"),
        ("/api/v3/badges/", "GET", "omvwr"),
        ("/api/v3/schedule/preview", "GET", "omvwr"),
        ("/api/v3/schedule/zones", "GET", "omvwr"),
        ("/api/v3/status-pages/", "GET", "omw"),
        ("/api/v3/status-pages/", "POST", "omw"),
        ("/api/v3/status-pages/{page_slug}", "GET", "omw"),
        ("/api/v3/status-pages/{page_slug}", "POST", "omw"),
        ("/api/v3/status-pages/{page_slug}", "DELETE", "omw"),
    ];

    fn sample(pattern: &str) -> String {
        pattern
            .replace("{project_id}", UUID)
            .replace("{email}", "a%40example.com")
            .replace("{check}", UUID)
            .replace("{uuid}", UUID)
            .replace("{n}", "1")
            .replace("{channel_id}", UUID)
            .replace("{window_id}", UUID)
            .replace("{page_slug}", "acme")
    }

    #[test]
    fn every_api_route_and_method_for_every_actor() {
        let mut covered = 0;
        for (pattern, methods) in ROUTES {
            let Some(found) = route(&sample(pattern)) else { continue };
            if !found.is_api() || found == Route::OpenApi {
                continue;
            }
            for method in *methods {
                let (_, _, allowed) = MATRIX
                    .iter()
                    .find(|(p, m, _)| p == pattern && *m == method.as_str())
                    .unwrap_or_else(|| panic!("{} {pattern} is missing from the matrix", method.as_str()));
                for (name, actor) in actors() {
                    let letter = match name {
                        "owner" => 'o',
                        "member" => 'm',
                        "viewer" => 'v',
                        "rw-key" => 'w',
                        "ro-key" => 'r',
                        _ => 'a',
                    };
                    assert_eq!(
                        actor.may(need(&found, *method)),
                        allowed.contains(letter),
                        "{name} {} {pattern}",
                        method.as_str()
                    );
                }
                covered += 1;
            }
        }
        assert_eq!(covered, MATRIX.len(), "every line of the matrix is a route of ROUTES");
    }

    /// Keys keep exactly what they could do before people existed: a
    /// read-only key reads checks, flips, windows and badges, and nothing
    /// that a read-write key alone could.
    #[test]
    fn keys_act_as_members_and_viewers() {
        let rw = Actor::key("hcw_abcdefgh", false);
        let ro = Actor::key("hcr_abcdefgh", true);
        let member = Actor::Person { email: "m@x.io".into(), role: Role::Member };
        let viewer = Actor::Person { email: "v@x.io".into(), role: Role::Viewer };
        for need in [Need::Anyone, Need::Read, Need::Log, Need::Private, Need::Write, Need::Manage, Need::Admin] {
            assert_eq!(rw.may(need), member.may(need), "{need:?}");
            assert_eq!(ro.may(need), viewer.may(need), "{need:?}");
        }
        assert!(ro.reads_only() && viewer.reads_only() && !rw.reads_only());
        assert_eq!(rw.label(), "read-write key hcw_abc…");
        assert_eq!(ro.label(), "read-only key hcr_abc…");
        assert_eq!(member.label(), "m@x.io");
    }

    #[test]
    fn roles_read_and_order() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("Owner"), None);
        assert!(Role::Owner > Role::Member && Role::Member > Role::Viewer);
    }
}
