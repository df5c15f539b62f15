//! Operator settings, read from Worker vars and secrets by name. Parsing is
//! pure so that defaults and bad values are tested natively.

/// Settings with their defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// Guards the admin API (project creation). Unset disables it.
    pub admin_token: Option<String>,
    /// Bytes of a ping body kept; longer bodies are cut (`PING_BODY_LIMIT`).
    pub ping_body_limit: usize,
    /// Pings kept per check (`PING_HISTORY`).
    pub ping_history: i64,
    /// Checks a project may have (`MAX_CHECKS_PER_PROJECT`).
    pub max_checks_per_project: i64,
    /// Overrides the scheme and host used in URLs edgebeat hands out
    /// (`PUBLIC_URL`); otherwise the request's own origin is used. Alerts
    /// sent by the sweep have no request, so their links need it.
    pub public_url: Option<String>,
    /// Outgoing requests one invocation may make (`SWEEP_SUBREQUEST_BUDGET`),
    /// below the Workers Free plan's 50.
    pub subrequest_budget: i64,
    /// Pinged after every completed sweep: an outside dead man's switch
    /// watching edgebeat itself (`SELF_PING_URL`).
    pub self_ping_url: Option<String>,
    /// A default Slack channel notifying every check (`SLACK_WEBHOOK_URL`).
    pub slack_webhook_url: Option<String>,
    /// A default PagerDuty channel for every check (`PAGERDUTY_ROUTING_KEY`).
    pub pagerduty_routing_key: Option<String>,
    /// Where that default channel sends events (`PAGERDUTY_EVENTS_URL`),
    /// PagerDuty's Events API v2 unless set (for EU accounts or proxies).
    pub pagerduty_events_url: Option<String>,
    /// Channels a project may have (`MAX_CHANNELS_PER_PROJECT`): every flip
    /// queues one notification per channel, so this bounds what one tenant
    /// can queue.
    pub max_channels_per_project: i64,
    /// Lets channels send to loopback, private and link-local addresses
    /// (`ALLOW_PRIVATE_DESTINATIONS=1`): for local development and the tests
    /// only; production refuses them.
    pub allow_private_destinations: bool,
    /// Adds `X-D1-Rows: read=N, written=M` (D1's own counts for the request)
    /// to every answer (`D1_USAGE_HEADER=1`): for the benchmarks and tests.
    pub d1_usage_header: bool,
    /// Test-only (`RACE_HOOK_URL`): before a write that depends on what it
    /// read, the API and the ping path wait for `GET <url>/<point>`, so that
    /// a test can force another write in between. Unset in production.
    pub race_hook_url: Option<String>,
    /// Sign-in through Cloudflare Access (`ACCESS_TEAM_DOMAIN`, `ACCESS_AUD`,
    /// `ACCESS_CERTS_URL`): off unless both of the first two are set.
    pub access: Option<crate::access::AccessSettings>,
    /// The sender of email alerts (`EMAIL_FROM`): a plain address on a
    /// domain the transport may send for. Email channels need it.
    pub email_from: Option<String>,
    /// SMTP submission for email alerts when no `send_email` binding is
    /// bound: the server (`SMTP_HOST`, `SMTP_PORT`) and how the connection is
    /// secured (`SMTP_TLS`: `starttls`, the default, `implicit`, or `none`,
    /// which only a deployment that allows private destinations may use).
    pub smtp: Option<SmtpSettings>,
    /// The domain whose addresses are email pings (`PING_EMAIL_DOMAIN`,
    /// healthchecks' setting): `<uuid>@<domain>` and `<ping key>+<slug>@<domain>`.
    pub ping_email_domain: Option<String>,
}

/// Where and how email alerts are submitted over SMTP.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: crate::mail::smtp::Tls,
    /// `SMTP_USER` and `SMTP_PASSWORD` (secrets): AUTH when both are set.
    pub login: Option<crate::mail::smtp::Login>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            admin_token: None,
            ping_body_limit: 100_000,
            ping_history: 100,
            max_checks_per_project: 10_000,
            public_url: None,
            subrequest_budget: 40,
            self_ping_url: None,
            slack_webhook_url: None,
            pagerduty_routing_key: None,
            pagerduty_events_url: None,
            max_channels_per_project: 50,
            allow_private_destinations: false,
            d1_usage_header: false,
            race_hook_url: None,
            access: None,
            email_from: None,
            smtp: None,
            ping_email_domain: None,
        }
    }
}

/// A setting that is present but unusable; the default is used instead and
/// the problem is logged.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("setting {name} = {value:?} is not valid ({expected}); using the default")]
pub struct SettingError {
    pub name: &'static str,
    pub value: String,
    pub expected: &'static str,
}

impl Settings {
    /// The channels kept from secrets, which notify every check.
    pub fn default_channels(&self) -> Vec<crate::channel::Channel> {
        crate::channel::default_channels(
            self.slack_webhook_url.as_deref(),
            self.pagerduty_routing_key.as_deref(),
            self.pagerduty_events_url.as_deref(),
        )
    }

    /// Deliveries one invocation may attempt: the budget, less the self-ping.
    pub fn delivery_budget(&self) -> usize {
        (self.subrequest_budget - i64::from(self.self_ping_url.is_some())).max(0) as usize
    }

    /// Reads settings through `lookup` (name to value); returns them along
    /// with the problems found.
    pub fn read(lookup: impl Fn(&str) -> Option<String>) -> (Settings, Vec<SettingError>) {
        let mut settings = Settings::default();
        let mut problems = Vec::new();
        let present = |name: &str| lookup(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        settings.admin_token = present("ADMIN_TOKEN");
        settings.public_url = present("PUBLIC_URL").map(|u| u.trim_end_matches('/').to_owned());
        settings.self_ping_url = present("SELF_PING_URL");
        settings.slack_webhook_url = present("SLACK_WEBHOOK_URL");
        settings.pagerduty_routing_key = present("PAGERDUTY_ROUTING_KEY");
        settings.pagerduty_events_url = present("PAGERDUTY_EVENTS_URL");
        settings.race_hook_url = present("RACE_HOOK_URL").map(|u| u.trim_end_matches('/').to_owned());
        let flag = |name: &str| present(name).is_some_and(|v| matches!(v.as_str(), "1" | "true" | "yes"));
        settings.allow_private_destinations = flag("ALLOW_PRIVATE_DESTINATIONS");
        settings.d1_usage_header = flag("D1_USAGE_HEADER");
        let mut number = |name: &'static str, min: i64, max: i64, target: &mut i64| {
            if let Some(value) = present(name) {
                match value.parse::<i64>() {
                    Ok(n) if (min..=max).contains(&n) => *target = n,
                    _ => problems.push(SettingError { name, value, expected: "a whole number in range" }),
                }
            }
        };
        let mut body_limit = settings.ping_body_limit as i64;
        number("PING_BODY_LIMIT", 0, 10_000_000, &mut body_limit);
        settings.ping_body_limit = body_limit as usize;
        number("PING_HISTORY", 1, 10_000, &mut settings.ping_history);
        number("MAX_CHECKS_PER_PROJECT", 1, 1_000_000, &mut settings.max_checks_per_project);
        number("SWEEP_SUBREQUEST_BUDGET", 1, 1000, &mut settings.subrequest_budget);
        number("MAX_CHANNELS_PER_PROJECT", 1, 10_000, &mut settings.max_channels_per_project);
        let (team, audiences) = (present("ACCESS_TEAM_DOMAIN"), present("ACCESS_AUD"));
        if team.is_some() || audiences.is_some() {
            let certs = present("ACCESS_CERTS_URL");
            match crate::access::AccessSettings::from_values(
                team.as_deref().unwrap_or_default(),
                audiences.as_deref().unwrap_or_default(),
                certs.as_deref(),
            ) {
                Ok(access) => settings.access = Some(access),
                Err(_) => problems.push(SettingError {
                    name: if team.is_none() { "ACCESS_TEAM_DOMAIN" } else { "ACCESS_AUD" },
                    value: format!("{} / {}", team.unwrap_or_default(), audiences.unwrap_or_default()),
                    expected: "Access sign-in needs ACCESS_TEAM_DOMAIN (a host name) and ACCESS_AUD (the audience tag); it stays off",
                }),
            }
        }
        let allow_private = settings.allow_private_destinations;
        read_email(&present, allow_private, &mut settings, &mut problems);
        (settings, problems)
    }
}

/// The email settings: the sender, SMTP, and the domain of email pings.
fn read_email(
    present: &dyn Fn(&str) -> Option<String>,
    allow_private: bool,
    settings: &mut Settings,
    problems: &mut Vec<SettingError>,
) {
    use crate::channels::field::is_email_address;
    use crate::mail::smtp::{Login, Tls};
    settings.email_from = match present("EMAIL_FROM") {
        Some(from) if is_email_address(&from) => Some(from),
        Some(value) => {
            problems.push(SettingError { name: "EMAIL_FROM", value, expected: "a plain address, name@example.com" });
            None
        }
        None => None,
    };
    let domain = present("PING_EMAIL_DOMAIN").map(|d| d.trim_start_matches('@').to_ascii_lowercase());
    settings.ping_email_domain = match domain {
        Some(d) if is_email_address(&format!("x@{d}")) => Some(d),
        Some(value) => {
            problems.push(SettingError { name: "PING_EMAIL_DOMAIN", value, expected: "a domain, ping.example.com" });
            None
        }
        None => None,
    };
    let Some(host) = present("SMTP_HOST") else { return };
    let tls = match present("SMTP_TLS").map(|t| (Tls::parse(&t), t)) {
        None => Tls::StartTls,
        Some((Some(Tls::None), _)) if allow_private => Tls::None,
        Some((Some(Tls::None), value)) => {
            let expected = "starttls or implicit (none needs ALLOW_PRIVATE_DESTINATIONS=1)";
            problems.push(SettingError { name: "SMTP_TLS", value, expected });
            Tls::StartTls
        }
        Some((Some(tls), _)) => tls,
        Some((None, value)) => {
            problems.push(SettingError { name: "SMTP_TLS", value, expected: "starttls, implicit or none" });
            Tls::StartTls
        }
    };
    let port = match present("SMTP_PORT").map(|p| (p.parse::<u16>(), p)) {
        None => tls.default_port(),
        Some((Ok(port), _)) if port > 0 => port,
        Some((_, value)) => {
            problems.push(SettingError { name: "SMTP_PORT", value, expected: "a port number" });
            tls.default_port()
        }
    };
    let login = match (present("SMTP_USER"), present("SMTP_PASSWORD")) {
        (Some(user), Some(password)) => Some(Login { user, password }),
        _ => None,
    };
    settings.smtp = Some(SmtpSettings { host, port, tls, login });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let (settings, problems) = Settings::read(|_| None);
        assert_eq!(settings, Settings::default());
        assert!(problems.is_empty());
    }

    #[test]
    fn values_are_read_and_bad_ones_reported() {
        let (settings, problems) = Settings::read(|name| match name {
            "PING_BODY_LIMIT" => Some("500".into()),
            "PING_HISTORY" => Some("lots".into()),
            "ADMIN_TOKEN" => Some(" secret ".into()),
            "PUBLIC_URL" => Some("https://eb.example/".into()),
            _ => None,
        });
        assert_eq!(settings.ping_body_limit, 500);
        assert_eq!(settings.ping_history, 100);
        assert_eq!(settings.admin_token.as_deref(), Some("secret"));
        assert_eq!(settings.public_url.as_deref(), Some("https://eb.example"));
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].name, "PING_HISTORY");
        assert!(!settings.allow_private_destinations, "production refuses private destinations by default");
        let (allowing, _) = Settings::read(|name| (name == "ALLOW_PRIVATE_DESTINATIONS").then(|| "1".into()));
        assert!(allowing.allow_private_destinations);
    }

    #[test]
    fn access_sign_in_needs_a_team_and_an_audience() {
        let read = |team: Option<&str>, aud: Option<&str>| {
            Settings::read(|name| match name {
                "ACCESS_TEAM_DOMAIN" => team.map(str::to_owned),
                "ACCESS_AUD" => aud.map(str::to_owned),
                _ => None,
            })
        };
        let (on, problems) = read(Some("team.example.com"), Some("tag"));
        assert!(problems.is_empty());
        assert_eq!(on.access.unwrap().certs_url, "https://team.example.com/cdn-cgi/access/certs");
        let (off, problems) = read(Some("team.example.com"), None);
        assert!(off.access.is_none());
        assert_eq!(problems[0].name, "ACCESS_AUD");
        let (off, problems) = read(None, Some("tag"));
        assert!(off.access.is_none());
        assert_eq!(problems[0].name, "ACCESS_TEAM_DOMAIN");
        assert!(read(None, None).0.access.is_none());
    }

    #[test]
    fn email_settings_with_their_defaults_and_the_rule_on_plain_smtp() {
        use crate::mail::smtp::Tls;
        let read = |vars: &[(&str, &str)]| {
            let vars: Vec<(String, String)> = vars.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
            Settings::read(move |name| vars.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()))
        };
        let (none, _) = read(&[]);
        assert_eq!((none.smtp, none.email_from, none.ping_email_domain), (None, None, None));
        let (smtp, problems) = read(&[
            ("SMTP_HOST", "smtp.example.com"),
            ("SMTP_USER", "u"),
            ("SMTP_PASSWORD", "p"),
            ("EMAIL_FROM", "eb@example.com"),
        ]);
        let smtp_settings = smtp.smtp.unwrap();
        assert_eq!((smtp_settings.port, smtp_settings.tls, smtp_settings.login.is_some()), (587, Tls::StartTls, true));
        assert_eq!(smtp.email_from.as_deref(), Some("eb@example.com"));
        assert!(problems.is_empty());
        let (implicit, _) = read(&[("SMTP_HOST", "h.example.com"), ("SMTP_TLS", "implicit")]);
        assert_eq!(implicit.smtp.unwrap().port, 465);
        let (refused, problems) = read(&[("SMTP_HOST", "10.0.0.5"), ("SMTP_TLS", "none")]);
        assert_eq!(refused.smtp.unwrap().tls, Tls::StartTls, "plain SMTP only where private destinations are allowed");
        assert_eq!(problems[0].name, "SMTP_TLS");
        let (plain, problems) = read(&[
            ("SMTP_HOST", "127.0.0.1"),
            ("SMTP_TLS", "none"),
            ("ALLOW_PRIVATE_DESTINATIONS", "1"),
            ("SMTP_PORT", "2525"),
        ]);
        let plain = plain.smtp.unwrap();
        assert_eq!((plain.tls, plain.port), (Tls::None, 2525));
        assert!(problems.is_empty());
        let (bad, problems) =
            read(&[("EMAIL_FROM", "edgebeat <eb@example.com>"), ("PING_EMAIL_DOMAIN", "@Ping.Example.com")]);
        assert_eq!((bad.email_from, bad.ping_email_domain.as_deref()), (None, Some("ping.example.com")));
        assert_eq!(problems.len(), 1);
    }

    #[test]
    fn the_self_ping_comes_out_of_the_delivery_budget() {
        let (settings, _) = Settings::read(|name| match name {
            "SWEEP_SUBREQUEST_BUDGET" => Some("10".into()),
            "SELF_PING_URL" => Some("https://hc-ping.com/x".into()),
            "SLACK_WEBHOOK_URL" => Some("https://hooks.slack.com/services/x".into()),
            _ => None,
        });
        assert_eq!(settings.delivery_budget(), 9);
        assert_eq!(settings.default_channels().len(), 1);
        assert_eq!(Settings::default().delivery_budget(), 40);
    }
}
