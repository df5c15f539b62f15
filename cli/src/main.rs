//! `edgebeat`: the command-line tool for edgebeat, the heartbeat monitor.
//!
//! - `run`: run a job under a heartbeat (start ping, exit status, output tail);
//! - `sync`: checks as code from a YAML or JSON file;
//! - `k8s-sync`: one check per Kubernetes CronJob, and each of its Jobs'
//!   starts and ends reported to it (also from a watch stream);
//! - `status`: the project's checks as a table.
//!
//! The decisions (what a sync plans, how a CronJob becomes a check, how the
//! output is cut, when a ping is retried) are pure functions in their own
//! modules with unit tests; this file and `run`, `sync` and `client` do the I/O.
//! What a check may be (schedules, zones, bounds, the API's spec) is the
//! server's own code, from `edgebeat-core`: the CLI validates with it, locally,
//! before it changes anything.

mod client;
mod jobs;
mod k8s;
mod plan;
mod report;
mod retry;
mod run;
mod spec;
mod status;
mod sync;
mod tail;

use clap::{Args, Parser, Subcommand};
use std::io::{IsTerminal, Read};
use std::process::ExitCode;
use std::time::Duration;

/// Exit status for usage and configuration errors, as clap uses.
const USAGE: u8 = 2;
/// Exit status when a sync or status request failed.
const FAILED: u8 = 1;

#[derive(Parser)]
#[command(
    name = "edgebeat",
    version,
    about = "Heartbeat monitoring from the command line: run jobs under edgebeat, keep checks as code, sync Kubernetes CronJobs",
    after_help = "Configuration (flags or environment):
  EDGEBEAT_URL       where edgebeat runs, e.g. https://edgebeat.example.workers.dev
  EDGEBEAT_API_KEY   a project's API key: the read-write one (hcw_...) for sync and k8s-sync;
                     status also takes the read-only one (hcr_...)
  EDGEBEAT_PING_KEY  the project's ping key: run with a slug instead of a uuid

Examples:
  edgebeat run 0f2ea3c4-5b6d-4e7f-8a9b-0c1d2e3f4a5b -- /usr/local/bin/backup.sh
  edgebeat sync checks.yaml --dry-run
  kubectl get cronjobs -A -o json | edgebeat k8s-sync
  edgebeat status || echo 'something is down'"
)]
struct Cli {
    #[command(subcommand)]
    command: Commands,
}

/// Where edgebeat is: every command.
#[derive(Args)]
struct UrlArg {
    /// edgebeat's base URL, e.g. https://edgebeat.example.workers.dev
    #[arg(long, env = "EDGEBEAT_URL")]
    url: Option<String>,
}

/// The management API's key: only the commands that use the API take it
/// (`run` pings, and a ping needs no API key).
#[derive(Args)]
struct ApiKeyArg {
    /// A project's API key: the read-write key (hcw_...); for status the read-only key (hcr_...) is enough
    #[arg(long, env = "EDGEBEAT_API_KEY", hide_env_values = true)]
    api_key: Option<String>,
}

/// The configuration a command was given.
struct Config {
    url: Option<String>,
    api_key: Option<String>,
    ping_key: Option<String>,
}

#[derive(Subcommand)]
enum Commands {
    /// Run a command and report its start, exit status and output tail to a check
    #[command(after_help = "The command's output passes through unchanged; its last bytes (within the server's
Ping-Body-Limit) go with the final ping. edgebeat exits with the command's status (124 after
--timeout, 128+N when killed by signal N). SIGTERM, SIGINT and SIGHUP are passed on to the
command, which then has --kill-after to end, and the run is reported as failed. A ping that
cannot be sent is retried within --ping-budget and reported on stderr; it never fails the
job. With no EDGEBEAT_URL the command still runs, unmonitored, with a warning.

Examples:
  edgebeat run 0f2ea3c4-5b6d-4e7f-8a9b-0c1d2e3f4a5b -- pg_dump -f /backup/db.sql mydb
  EDGEBEAT_PING_KEY=... edgebeat run nightly-backup --create -- ./backup.sh
  edgebeat run nightly-backup --timeout 2h -- sh -c 'make-report | upload'
  # crontab:
  15 2 * * * edgebeat run nightly-backup -- /usr/local/bin/backup.sh")]
    Run(RunArgs),
    /// Create, change and prune checks to match a YAML or JSON file (checks as code)
    #[command(after_help = "The whole file is checked first, with the server's own rules: a file with any invalid
check or channel changes nothing, and every problem is listed (exit status 1).

Checks are matched by slug. Every check sync creates or adopts gets the tag
edgebeat:<set> (set: the file's `set:`, else --set, else \"sync\"); --prune deletes only
checks with that tag that the file no longer declares, so hand-made checks and other sets'
checks are never touched. A second run with the same file changes nothing.

A file (channels are created when missing, by name; ${VAR} comes from the environment):
  set: team-a
  channels:
    - {name: ops, kind: slack, url: \"${OPS_SLACK_WEBHOOK}\", events: [down, up, reminder]}
  checks:
    - slug: nightly-backup
      name: Nightly backup
      tags: [prod, db]
      schedule: \"15 2 * * *\"     # or: period: 1d
      tz: Europe/Riga
      grace: 1h
      channels: [ops]            # channel names; \"*\" for all
      paused: false              # optional
      alerts:                    # optional; each setting left out is the API's default
        failure_threshold: 3     # 1-100 (default 1); also recovery_threshold
        max_runtime: 3h          # or off (default); also min_runtime
        reminder_interval: 4h    # 0 or off (default), else at least 5m

Examples:
  edgebeat sync checks.yaml --dry-run
  edgebeat sync checks.yaml --prune
  edgebeat sync checks.json")]
    Sync(SyncArgs),
    /// Keep one check per Kubernetes CronJob and report its Jobs' runs, from `kubectl get cronjobs,jobs -A -o json`
    #[command(after_help = "Each CronJob gets the check <namespace>-<name> with its schedule and timeZone
(else --default-tz); a suspended CronJob's check is paused, an unsuspended one resumed; the
checks of CronJobs that are gone are deleted (only checks tagged edgebeat:<set>, set \"k8s\"
unless --set says otherwise; --no-prune keeps them). A check expects its first run: a CronJob
that never runs goes down at its first scheduled run plus grace.

Then each Job a CronJob owns is reported to that CronJob's check: its start, and its end (the
Complete condition: success; Failed: failure, with the reason, message and pod counts in the
body), at the Job's own times, with the Job's uid as the run id: edgebeat records each once,
however often it is reported. Jobs no CronJob owns, and events more than a day old, are left
alone. --no-report skips this. --watch reads `kubectl get jobs -A --watch -o json` instead and
reports each start and end as it comes, changing no check.

Every CronJob is checked first with the server's own rules. A bad one (schedule, zone,
annotation) is reported and skipped, its check left as it is, and the rest is synced; the exit
status is then 1. Schedules read as Kubernetes reads them: ?, @hourly-style descriptors,
@every (a period check), CRON_TZ=/TZ= prefixes.

Pruning is guarded: only a List (kubectl get cronjobs -A -o json, or cronjobs,jobs) prunes; a
single CronJob object never does; a List with no CronJob at all, or a run that would prune more
than --prune-max checks (default 5; also a share, e.g. 10%), changes nothing and exits 1.

CronJob annotations:
  edgebeat/grace: \"15m\"            grace time (default --default-grace)
  edgebeat/channels: \"ops,pager\"   channel names, or \"*\" (default --default-channels)
  edgebeat/tags: \"team-x\"          more tags (k8s and the namespace are always there)
  edgebeat/slug: \"custom-slug\"     another slug
  edgebeat/ignore: \"true\"          no check for this CronJob
  edgebeat/failure-threshold: \"3\"  failures in a row before down, 1-100 (default 1)
  edgebeat/recovery-threshold: \"2\" successes in a row before up, 1-100 (default 1)
  edgebeat/max-runtime: \"3h\"       a started run's limit, or \"off\" (default)
  edgebeat/min-runtime: \"1m\"       a faster run is a failure, or \"off\" (default)
  edgebeat/reminder-interval: \"4h\" reminders while down, at least 5m, or \"off\" (default)
  edgebeat/expect-first-ping: \"false\" the check waits for its first run forever

Examples:
  kubectl get cronjobs,jobs -A -o json | edgebeat k8s-sync
  kubectl get cronjobs,jobs -A -o json | edgebeat k8s-sync --prune-max 10%
  kubectl get jobs -A --watch -o json | edgebeat k8s-sync --watch
  kubectl get cronjobs -A -o json > cronjobs.json && edgebeat k8s-sync cronjobs.json --dry-run
  edgebeat k8s-sync cronjobs.json --set k8s-prod --default-tz Europe/Berlin --default-channels ops")]
    K8sSync(K8sArgs),
    /// Show the project's checks; exit status 1 when any is down
    #[command(after_help = "Statuses read as on the dashboard (down, late, started, new, up, paused), down first.
Exit status: 0 when no check is down, 1 when at least one is, 2 on errors (and when no check
has the --tag asked for).
Colour only when stdout is a terminal (and NO_COLOR is not set).

Examples:
  edgebeat status
  edgebeat status --tag prod
  edgebeat status > /dev/null || alert 'a check is down'")]
    Status(StatusArgs),
}

#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    url: UrlArg,
    /// The project's ping key, to ping checks by slug
    #[arg(long, env = "EDGEBEAT_PING_KEY", hide_env_values = true)]
    ping_key: Option<String>,
    /// The check: its uuid, or its slug (with the ping key)
    check: String,
    /// With a slug: create the check if it does not exist
    #[arg(long)]
    create: bool,
    /// Stop the command after this long (seconds, or 90s, 15m, 2h): SIGTERM, then SIGKILL
    #[arg(long, value_parser = parse_duration)]
    timeout: Option<Duration>,
    /// After --timeout's SIGTERM or a forwarded signal, wait this long before SIGKILL
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    kill_after: Duration,
    /// The most time one ping may take, retries included
    #[arg(long, default_value = "20s", value_parser = parse_duration, env = "EDGEBEAT_PING_BUDGET")]
    ping_budget: Duration,
    /// The command and its arguments, after `--`
    #[arg(last = true, required = true, value_name = "COMMAND")]
    command: Vec<String>,
}

#[derive(Args)]
struct SyncArgs {
    #[command(flatten)]
    url: UrlArg,
    #[command(flatten)]
    api_key: ApiKeyArg,
    /// The YAML or JSON file (.json is read as JSON, anything else as YAML); - for stdin
    file: String,
    /// Print what would change, change nothing
    #[arg(long)]
    dry_run: bool,
    /// Delete this set's checks that the file no longer declares
    #[arg(long)]
    prune: bool,
    /// The sync set (when the file has no `set:`)
    #[arg(long, default_value = "sync")]
    set: String,
}

#[derive(Args)]
struct K8sArgs {
    #[command(flatten)]
    url: UrlArg,
    #[command(flatten)]
    api_key: ApiKeyArg,
    /// The JSON of `kubectl get cronjobs,jobs -A -o json` (with --watch, of the watch); stdin when absent or -
    file: Option<String>,
    /// Time zone for CronJobs without spec.timeZone
    #[arg(long, default_value = "UTC")]
    default_tz: String,
    /// Grace time for CronJobs without the edgebeat/grace annotation
    #[arg(long, default_value = "1h", value_parser = parse_duration)]
    default_grace: Duration,
    /// Channels (names, comma-separated, or *) for CronJobs without edgebeat/channels
    #[arg(long)]
    default_channels: Option<String>,
    /// The sync set: its checks are tagged edgebeat:<set>; one per cluster if several share a project
    #[arg(long, default_value = "k8s")]
    set: String,
    /// Keep the checks of CronJobs that are gone
    #[arg(long)]
    no_prune: bool,
    /// The most checks one run may prune, a number or a share of the set's checks (10%); more changes nothing
    #[arg(long, default_value = "5", value_parser = k8s::PruneMax::parse)]
    prune_max: k8s::PruneMax,
    /// Print what would change, change nothing
    #[arg(long)]
    dry_run: bool,
    /// Sync the checks only: do not report the Jobs' starts and ends
    #[arg(long, conflicts_with = "watch")]
    no_report: bool,
    /// Read a stream of Jobs (kubectl get jobs -A --watch -o json) and report their starts and ends as they
    /// come; changes no check
    #[arg(long)]
    watch: bool,
}

#[derive(Args)]
struct StatusArgs {
    #[command(flatten)]
    url: UrlArg,
    #[command(flatten)]
    api_key: ApiKeyArg,
    /// Only checks with this tag (repeat for several: all must match)
    #[arg(long)]
    tag: Vec<String>,
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    edgebeat_core::duration::parse_seconds(text).map(|s| Duration::from_secs(s.unsigned_abs()))
}

/// A failure with the exit status it means.
struct Failure(u8, String);

impl Config {
    fn url(&self) -> Result<String, Failure> {
        match self.url.as_deref().map(str::trim) {
            Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
                Ok(url.trim_end_matches('/').to_owned())
            }
            Some("") | None => Err(Failure(
                USAGE,
                "no edgebeat URL: pass --url or set EDGEBEAT_URL, e.g. https://edgebeat.example.workers.dev".into(),
            )),
            Some(other) => Err(Failure(USAGE, format!("EDGEBEAT_URL {other:?} is not an http:// or https:// URL"))),
        }
    }

    fn api(&self, needs: client::KeyNeed) -> Result<client::Api, Failure> {
        let url = self.url()?;
        match self.api_key.as_deref().map(str::trim) {
            Some(key) if !key.is_empty() => Ok(client::Api::new(&url, key, needs)),
            _ => {
                Err(Failure(USAGE, format!("no API key: pass --api-key or set EDGEBEAT_API_KEY to {}", needs.advice())))
            }
        }
    }

    fn for_api(url: UrlArg, api_key: ApiKeyArg) -> Config {
        Config { url: url.url, api_key: api_key.api_key, ping_key: None }
    }

    /// The ping URL of a check given as a uuid or a slug.
    fn ping_url(&self, check: &str) -> Result<String, Failure> {
        let url = self.url()?;
        if is_uuid(check) {
            return Ok(format!("{url}/ping/{}", check.to_ascii_lowercase()));
        }
        if !edgebeat_core::check::is_valid_slug(check) {
            return Err(Failure(USAGE, format!("{check:?} is neither a check uuid nor a slug (a-z, 0-9, - and _)")));
        }
        match self.ping_key.as_deref().map(str::trim) {
            Some(key) if !key.is_empty() => Ok(format!("{url}/ping/{key}/{check}")),
            _ => Err(Failure(
                USAGE,
                format!("{check:?} is a slug: pinging by slug needs --ping-key or EDGEBEAT_PING_KEY (the project's ping key)"),
            )),
        }
    }
}

fn is_uuid(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12]) && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The stream `k8s-sync --watch` reads: the file, or stdin.
fn read_stream(file: Option<&str>) -> Result<Box<dyn Read>, Failure> {
    match file {
        None | Some("-") => Ok(Box::new(std::io::stdin().lock())),
        Some(path) => {
            let file = std::fs::File::open(path).map_err(|e| Failure(FAILED, format!("reading {path}: {e}")))?;
            Ok(Box::new(file))
        }
    }
}

fn read_input(file: Option<&str>) -> Result<String, Failure> {
    match file {
        None | Some("-") => {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text).map_err(|e| Failure(FAILED, format!("reading stdin: {e}")))?;
            Ok(text)
        }
        Some(path) => std::fs::read_to_string(path).map_err(|e| Failure(FAILED, format!("reading {path}: {e}"))),
    }
}

fn run_command(args: RunArgs) -> u8 {
    let config = Config { url: args.url.url, api_key: None, ping_key: args.ping_key };
    let ping_url = match config.ping_url(&args.check) {
        Ok(url) => Some(url),
        Err(Failure(_, message)) => {
            // The job matters more than its monitoring: run it anyway. The check, pinged by nobody, goes down.
            eprintln!("edgebeat: {message}; running the command without pings");
            None
        }
    };
    let code = run::run(run::RunOptions {
        ping_url,
        check: args.check,
        create: args.create,
        timeout: args.timeout,
        kill_after: args.kill_after,
        ping_budget: args.ping_budget,
        command: args.command,
    });
    u8::try_from(code).unwrap_or(1)
}

/// Prints the problems of a run, each on its own line.
fn report(problems: &[String], prefix: &str) {
    for problem in problems {
        eprintln!("edgebeat: {prefix}{problem}");
    }
}

fn problems_failure(count: usize, what: &str, changed_nothing: bool) -> Failure {
    let plural = if count == 1 { "" } else { "s" };
    let outcome = if changed_nothing { "nothing changed" } else { "stopped" };
    Failure(FAILED, format!("{what}{count} problem{plural}; {outcome}"))
}

fn sync_command(args: SyncArgs) -> Result<u8, Failure> {
    let api = Config::for_api(args.url, args.api_key).api(client::KeyNeed::ReadWrite)?;
    let text = read_input(Some(&args.file))?;
    let prefix = format!("{}: ", args.file);
    // Every problem of the file, before anything changes.
    let lookup = |name: &str| std::env::var(name).ok();
    let format = spec::Format::for_path(&args.file);
    let (declared, channels) = spec::read_file(&text, format, &args.file, &args.set, &lookup).map_err(|problems| {
        report(&problems, &prefix);
        problems_failure(problems.len(), &prefix, true)
    })?;
    let guard = |prunes: &[String], _synced: usize| spec::prune_allowed(&declared, prunes);
    let options = sync::SyncOptions {
        marker: &declared.marker,
        gone: if args.prune { plan::Gone::Prune } else { plan::Gone::Keep },
        dry_run: args.dry_run,
        keep: &[],
        all_or_nothing: true,
        prune_guard: Some(&guard),
    };
    match sync::sync(&api, &channels, &declared.checks, &options) {
        Ok(_) => Ok(0),
        Err(stopped) => {
            report(&stopped.problems, &prefix);
            Err(problems_failure(stopped.problems.len(), &prefix, stopped.changed_nothing))
        }
    }
}

fn k8s_command(args: K8sArgs) -> Result<u8, Failure> {
    let api = Config::for_api(args.url, args.api_key).api(client::KeyNeed::ReadWrite)?;
    let marker = spec::marker(&args.set).map_err(|e| Failure(USAGE, e))?;
    if args.watch {
        let input = read_stream(args.file.as_deref())?;
        return report::watch(&api, &marker, input, args.dry_run).map_err(|e| Failure(FAILED, e));
    }
    let channels = spec::channel_selector(args.default_channels.as_deref().map(spec::words_of).unwrap_or_default());
    let seconds = i64::try_from(args.default_grace.as_secs()).unwrap_or(i64::MAX);
    let grace = spec::check_field("grace", "--default-grace", seconds).map_err(|e| Failure(USAGE, e))?;
    let zone =
        edgebeat_core::cron::parse_zone(&args.default_tz).map_err(|e| Failure(USAGE, format!("--default-tz: {e}")))?;
    let defaults = k8s::Defaults { tz: zone.name().to_owned(), grace, channels };
    let text = read_input(args.file.as_deref())?;
    let inventory = k8s::parse_input(&text).map_err(|e| Failure(FAILED, e))?;
    println!("{}", inventory.summary());
    let converted = k8s::convert(&inventory.cronjobs, &defaults, &marker);
    let gone = match (inventory.scope, args.no_prune) {
        (k8s::Scope::Single, _) => plan::Gone::Ignore,
        (k8s::Scope::List, true) => plan::Gone::Keep,
        (k8s::Scope::List, false) => plan::Gone::Prune,
    };
    let guard = |prunes: &[String], synced: usize| k8s::prune_allowed(&inventory, prunes, synced, args.prune_max);
    let options = sync::SyncOptions {
        marker: &marker,
        gone,
        dry_run: args.dry_run,
        keep: &converted.keep,
        all_or_nothing: false,
        prune_guard: Some(&guard),
    };
    report(&converted.problems, "");
    let synced = match sync::sync(&api, &[], &converted.checks, &options) {
        Ok(outcome) => {
            report(&outcome.problems, "");
            let skipped = converted.problems.len() + outcome.problems.len();
            if skipped > 0 {
                eprintln!("edgebeat: {skipped} CronJob(s) skipped; the others are synced");
            }
            if skipped == 0 {
                0
            } else {
                FAILED
            }
        }
        Err(stopped) => {
            report(&stopped.problems, "");
            return Err(problems_failure(stopped.problems.len(), "", stopped.changed_nothing));
        }
    };
    if args.no_report || inventory.jobs.is_empty() {
        return Ok(synced);
    }
    // A dry run changed no check: its reports count the checks as the sync would leave them.
    let planned: report::Planned = if args.dry_run {
        converted.checks.iter().map(|desired| (desired.config.desc.clone(), desired.paused.unwrap_or(false))).collect()
    } else {
        report::Planned::new()
    };
    let reported =
        report::report_jobs(&api, &marker, &inventory.jobs, args.dry_run, planned).map_err(|e| Failure(FAILED, e))?;
    Ok(synced.max(if reported { 0 } else { FAILED }))
}

fn status_command(args: StatusArgs) -> Result<u8, Failure> {
    let api = Config::for_api(args.url, args.api_key).api(client::KeyNeed::ReadOnly)?;
    let query: Vec<String> = args.tag.iter().map(|t| format!("tag={}", percent_encode(t))).collect();
    let path = if query.is_empty() { "checks/".to_owned() } else { format!("checks/?{}", query.join("&")) };
    let checks: Vec<plan::Existing> = api.list(&path, "checks").map_err(|e| Failure(USAGE, e.to_string()))?;
    if checks.is_empty() && !args.tag.is_empty() {
        // An empty table would read as "all fine": say which tag matched nothing.
        let all: Vec<plan::Existing> = api.list("checks/", "checks").map_err(|e| Failure(USAGE, e.to_string()))?;
        status::explain_no_match(&args.tag, 0, &all).map_err(|message| Failure(USAGE, message))?;
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    print!("{}", status::render(&checks, now, colour));
    Ok(if status::count_down(&checks) > 0 { FAILED } else { 0 })
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Commands::Run(args) => Ok(run_command(args)),
        Commands::Sync(args) => sync_command(args),
        Commands::K8sSync(args) => k8s_command(args),
        Commands::Status(args) => status_command(args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(Failure(code, message)) => {
            eprintln!("edgebeat: {message}");
            ExitCode::from(code)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_argument_definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn tells_uuids_from_slugs() {
        assert!(is_uuid("0f2ea3c4-5b6d-4e7f-8a9b-0c1d2e3f4a5b"));
        assert!(!is_uuid("nightly-backup"));
        assert!(!is_uuid("0f2ea3c4-5b6d-4e7f-8a9b-0c1d2e3f4a5"));
    }

    #[test]
    fn ping_urls_from_configuration() {
        let config = Config { url: Some("https://eb.example/".into()), api_key: None, ping_key: Some("pk".into()) };
        assert_eq!(config.ping_url("backup").ok(), Some("https://eb.example/ping/pk/backup".into()));
        let uuid = "0F2EA3C4-5B6D-4E7F-8A9B-0C1D2E3F4A5B";
        assert_eq!(config.ping_url(uuid).ok(), Some(format!("https://eb.example/ping/{}", uuid.to_lowercase())));
        let no_key = Config { ping_key: None, ..config };
        assert!(no_key
            .ping_url("backup")
            .is_err_and(|Failure(code, m)| code == USAGE && m.contains("EDGEBEAT_PING_KEY")));
        let no_url = Config { url: None, api_key: None, ping_key: None };
        assert!(no_url.api(client::KeyNeed::ReadWrite).is_err_and(|Failure(_, m)| m.contains("EDGEBEAT_URL")));
        let no_api_key = Config { url: Some("http://x".into()), api_key: Some(" ".into()), ping_key: None };
        assert!(no_api_key
            .api(client::KeyNeed::ReadWrite)
            .is_err_and(|Failure(_, m)| m.contains("EDGEBEAT_API_KEY") && m.contains("read-write key")));
        // status reads: the read-only key is enough, and the advice says so.
        assert!(no_api_key
            .api(client::KeyNeed::ReadOnly)
            .is_err_and(|Failure(_, m)| m.contains("read-only key (hcr_")));
    }

    #[test]
    fn each_command_offers_only_the_keys_it_uses() {
        let mut cli = Cli::command();
        cli.build();
        let options = |name: &str| -> Vec<String> {
            let command = cli.find_subcommand(name).expect("the subcommand");
            command.get_arguments().filter_map(|a| a.get_long().map(str::to_owned)).collect()
        };
        let run = options("run");
        assert!(run.contains(&"ping-key".to_owned()) && run.contains(&"url".to_owned()), "{run:?}");
        assert!(!run.contains(&"api-key".to_owned()), "run pings; it uses no API key: {run:?}");
        for name in ["sync", "k8s-sync", "status"] {
            let options = options(name);
            assert!(options.contains(&"api-key".to_owned()), "{name}: {options:?}");
            assert!(!options.contains(&"ping-key".to_owned()), "{name}: {options:?}");
        }
    }

    #[test]
    fn encodes_query_values() {
        assert_eq!(percent_encode("prod db&x"), "prod%20db%26x");
    }
}
