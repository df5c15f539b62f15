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

fn write_tool(dir: &Path, name: &str, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/usr/bin/env bash\n{body}\n")).expect("write a tool");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("make it executable");
}

/// On a machine whose Node is older than wrangler needs, setup.sh installs
/// Node 22 first and then the npm dependencies under it (installed the other
/// way round, npm warned EBADENGINE for every package on a newcomer's first
/// `make dev`). The tools it calls are stand-ins that log what they are asked;
/// the script under test is the real one, in a copy of the project's files.
#[test]
fn setup_installs_node_22_before_the_npm_dependencies() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let sandbox = std::env::temp_dir().join(format!("edgebeat-setup-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&sandbox);
    let (project, bin) = (sandbox.join("project"), sandbox.join("bin"));
    for dir in [project.join("scripts"), bin.clone()] {
        std::fs::create_dir_all(dir).expect("create the sandbox");
    }
    for file in ["scripts/setup.sh", "scripts/env.sh", "Cargo.lock", "package-lock.json"] {
        std::fs::copy(root.join(file), project.join(file)).expect("copy the project's file");
    }
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).expect("read Cargo.lock");
    let locked = |name: &str| {
        let entry = format!("name = \"{name}\"\nversion = \"");
        let at = lock.find(&entry).expect("a locked package") + entry.len();
        lock[at..].split('"').next().expect("its version").to_owned()
    };
    let log = sandbox.join("calls.log");
    let log = log.display();
    write_tool(&bin, "rustup", "echo wasm32-unknown-unknown");
    write_tool(&bin, "worker-build", &format!("echo worker-build {}", locked("worker")));
    write_tool(&bin, "wasm-bindgen", &format!("echo wasm-bindgen {}", locked("wasm-bindgen")));
    write_tool(&bin, "cargo", &format!("echo \"cargo $*\" >> {log}"));
    write_tool(&bin, "node", "echo 18");
    // npm records each call with the Node it would run under, and installing
    // the node package puts a Node 22 where npm's package would.
    write_tool(
        &bin,
        "npm",
        &format!(
            "echo \"npm $* (under Node $(node))\" >> {log}\n\
             if [ \"$2\" = --prefix ]; then mkdir -p \"$3/node_modules/.bin\"; \
             printf '#!/usr/bin/env bash\\necho 22\\n' > \"$3/node_modules/.bin/node\"; \
             chmod +x \"$3/node_modules/.bin/node\"; fi"
        ),
    );
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let run = Command::new("bash")
        .arg(project.join("scripts/setup.sh"))
        .env("PATH", path)
        .env("CARGO_HOME", sandbox.join("cargo"))
        .output()
        .expect("run setup.sh");
    let calls = std::fs::read_to_string(sandbox.join("calls.log")).unwrap_or_default();
    let said = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{said}{}\n{calls}", String::from_utf8_lossy(&run.stderr));
    let npm: Vec<&str> = calls.lines().filter(|l| l.starts_with("npm ")).collect();
    assert_eq!(npm.len(), 2, "{calls}");
    assert!(npm[0].starts_with("npm install --prefix .tools/node") && npm[0].contains("node-linux-"), "{calls}");
    assert!(npm[1].starts_with("npm ci ") && npm[1].ends_with("(under Node 22)"), "{calls}");
    assert!(said.contains("installing Node 22"), "setup says what it does:\n{said}");
    let _ = std::fs::remove_dir_all(&sandbox);
}
