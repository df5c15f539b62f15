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
