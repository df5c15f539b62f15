//! The deployable bundle is checked on every change: `wrangler deploy
//! --dry-run` must accept the built worker, its wasm and its configuration.

use std::path::Path;
use std::process::Command;

#[test]
fn wrangler_deploy_dry_run_accepts_the_bundle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let outdir = std::env::temp_dir().join(format!("edgebeat-dry-run-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&outdir);
    let output = Command::new("bash")
        .arg("-c")
        .arg(format!("source scripts/env.sh && wrangler deploy --dry-run --outdir '{}'", outdir.display()))
        .current_dir(root)
        .output()
        .expect("run wrangler");
    let log = format!("{}\n{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "dry run failed:\n{log}");
    assert!(log.contains("--dry-run: exiting now."), "unexpected dry-run output:\n{log}");
    let files: Vec<String> = std::fs::read_dir(&outdir)
        .expect("the dry run writes its bundle")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    assert!(files.iter().any(|f| f.ends_with(".wasm")), "no wasm module in the bundle: {files:?}");
    assert!(files.iter().any(|f| f.ends_with(".js") || f.ends_with(".mjs")), "no entry module: {files:?}");
    let _ = std::fs::remove_dir_all(&outdir);
}

/// `make deploy`'s dry run (scripts/deploy.sh --dry-run) builds, writes the
/// deploy configuration with the chosen Worker and databases (two here: `DB`
/// and `DB_1`, as a deployment that spread its projects has), runs `wrangler
/// deploy --dry-run` with PUBLIC_URL and the custom domain, prints the remote
/// steps instead of running them, and sends nothing anywhere: every proxy
/// variable points at a closed local port and the API token is invalid, so any
/// request to Cloudflare would fail the run.
#[test]
fn make_deploy_dry_run_prints_every_remote_step_and_contacts_nobody() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let outdir = std::env::temp_dir().join(format!("edgebeat-deploy-dry-run-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&outdir);
    let settings_before = std::fs::read(root.join(".deploy.env")).ok();
    let output = Command::new("bash")
        .arg("scripts/deploy.sh")
        .arg("--dry-run")
        .current_dir(root)
        .env("EDGEBEAT_WORKER", "edgebeat-test")
        .env("EDGEBEAT_DATABASE", "edgebeat-test-db")
        .env("EDGEBEAT_DATABASES", "2")
        .env("EDGEBEAT_DOMAIN", "status.example.com")
        .env("PUBLIC_URL", "https://status.example.com/")
        .env("EDGEBEAT_DRY_RUN_OUTDIR", &outdir)
        .env("CLOUDFLARE_API_TOKEN", "not-a-token")
        .env("HTTPS_PROXY", "http://127.0.0.1:9")
        .env("HTTP_PROXY", "http://127.0.0.1:9")
        .env("https_proxy", "http://127.0.0.1:9")
        .env("http_proxy", "http://127.0.0.1:9")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run scripts/deploy.sh");
    let log = format!("{}\n{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "the dry run failed:\n{log}");
    for step in [
        "would look up the D1 database edgebeat-test-db, and create it (wrangler d1 create edgebeat-test-db) if missing",
        "would run: wrangler d1 migrations apply DB --remote -c wrangler.dry-run.toml",
        "would look up the D1 database edgebeat-test-db-1, and create it (wrangler d1 create edgebeat-test-db-1) if missing",
        "would run: wrangler d1 migrations apply DB_1 --remote -c wrangler.dry-run.toml",
        "would set the ADMIN_TOKEN secret if the Worker has none",
        "--domain status.example.com --var PUBLIC_URL:https://status.example.com --outdir",
        "--dry-run: exiting now.",
        "would save the settings in .deploy.env",
        "dry run complete: nothing was sent to Cloudflare",
    ] {
        assert!(log.contains(step), "the dry run does not say `{step}`:\n{log}");
    }
    // The configuration it deployed binds the chosen databases (wrangler lists the bindings).
    assert!(log.contains("env.DB (edgebeat-test-db)"), "the deploy configuration's database:\n{log}");
    assert!(log.contains("env.DB_1 (edgebeat-test-db-1)"), "the deploy configuration's second database:\n{log}");
    let migrations = log.find("apply DB_1 --remote").expect("DB_1 migrated");
    assert!(migrations < log.find("--dry-run: exiting now.").expect("deployed"), "migrations come before the deploy");
    assert!(log.contains("env.PUBLIC_URL"), "PUBLIC_URL is a var of the deployment:\n{log}");
    let files: Vec<String> = std::fs::read_dir(&outdir)
        .expect("the dry run writes its bundle")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    assert!(files.iter().any(|f| f.ends_with(".wasm")), "no wasm module in the bundle: {files:?}");
    // Nothing left behind, nothing remembered.
    assert!(!root.join("wrangler.dry-run.toml").exists(), "the dry run left its configuration behind");
    assert_eq!(std::fs::read(root.join(".deploy.env")).ok(), settings_before, "a dry run saves no settings");
    let _ = std::fs::remove_dir_all(&outdir);
}
