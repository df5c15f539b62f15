//! Every shell script of the project parses (`bash -n`) and passes shellcheck
//! (Debian's package, installed by `scripts/setup.sh --test`), following the
//! scripts they source.

use std::path::{Path, PathBuf};
use std::process::Command;

fn scripts(root: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(root.join("scripts"))
        .expect("read scripts/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "sh"))
        .collect();
    found.push(root.join(".ci/run"));
    found.sort();
    found
}

#[test]
fn every_shell_script_parses_and_passes_shellcheck() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let scripts = scripts(root);
    assert!(scripts.len() >= 8, "scripts found: {scripts:?}");
    for script in &scripts {
        let parsed = Command::new("bash").arg("-n").arg(script).output().expect("run bash -n");
        assert!(
            parsed.status.success(),
            "{} does not parse:\n{}",
            script.display(),
            String::from_utf8_lossy(&parsed.stderr)
        );
    }
    let checked = Command::new("shellcheck")
        .args(["--external-sources", "--source-path=SCRIPTDIR"])
        .args(&scripts)
        .current_dir(root)
        .output()
        .expect("run shellcheck (scripts/setup.sh --test installs Debian's shellcheck)");
    assert!(
        checked.status.success(),
        "shellcheck objects:\n{}{}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr)
    );
}
