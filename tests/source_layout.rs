//! Two rules of the developers' guide about the Worker crate's own source
//! (src/), kept true by test:
//! - no file under src/ (the adapter, the application, the storage) is over
//!   600 lines;
//! - no import circle: modules that are siblings (`adapter` and `app`,
//!   `app::api` and `app::router`, …) never depend on each other both ways,
//!   directly or round a longer loop. A module depends on another when its
//!   code (a `use`, a path in code, or a path inside a macro call) names the
//!   other or anything in it; what a module re-exports (`pub use`) counts as
//!   the module it comes from. A parent and its own submodules may use each
//!   other (that is what a `mod.rs` is for).
//!
//! The source is read with `syn`, so comments and strings never count.

use proc_macro2::{TokenStream, TokenTree};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use syn::visit::Visit;

const MAX_LINES: usize = 600;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display())) {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_file_of_the_worker_crate_is_over_600_lines() {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    assert!(files.iter().any(|f| f.ends_with("src/adapter/mod.rs")), "the adapter's files are among those read");
    let long: Vec<String> = files
        .iter()
        .filter_map(|file| {
            let lines = fs::read_to_string(file).expect("read a source file").lines().count();
            (lines > MAX_LINES)
                .then(|| format!("{} ({lines} lines)", file.strip_prefix(root()).unwrap_or(file).display()))
        })
        .collect();
    assert!(long.is_empty(), "over {MAX_LINES} lines: split along a natural seam: {long:?}");
}

// ------------------------------------------------------------ import circles

/// A module by its path from the crate root (`["app", "api"]`).
type ModulePath = Vec<String>;

/// What is known of the crate's modules: each one's file, its submodules,
/// and what it re-exports (`pub use`: the name and where it comes from).
#[derive(Default)]
struct Crate {
    files: BTreeMap<ModulePath, PathBuf>,
    reexports: BTreeMap<(ModulePath, String), Vec<String>>,
}

impl Crate {
    fn is_module(&self, path: &[String]) -> bool {
        self.files.contains_key(path)
    }

    /// The deepest module that `path` (absolute, from the crate root) names
    /// or names something in, following re-exports.
    fn module_of(&self, path: &[String]) -> ModulePath {
        let mut module: ModulePath = Vec::new();
        let mut rest = path;
        let mut hops = 0;
        while let Some((first, tail)) = rest.split_first() {
            let mut child = module.clone();
            child.push(first.clone());
            if self.is_module(&child) {
                module = child;
                rest = tail;
            } else if let Some(target) = self.reexports.get(&(module.clone(), first.clone())) {
                hops += 1;
                if hops > 16 {
                    break;
                }
                let mut target = target.clone();
                target.extend_from_slice(tail);
                return self.module_of(&target);
            } else {
                break;
            }
        }
        module
    }

    /// `path` as written in `module` made absolute (`crate::`, `super::`,
    /// `self::`, or a submodule's name), or None for another crate's path,
    /// a local name or the prelude.
    fn absolute(&self, module: &[String], path: &[String]) -> Option<Vec<String>> {
        let (first, _) = path.split_first()?;
        let mut base: Vec<String> = match first.as_str() {
            "crate" => Vec::new(),
            "self" => module.to_vec(),
            "super" => module.to_vec(),
            _ => {
                let mut child = module.to_vec();
                child.push(first.clone());
                if !self.is_module(&child) {
                    return None;
                }
                let mut whole = module.to_vec();
                whole.extend_from_slice(path);
                return Some(whole);
            }
        };
        let mut segments = path.iter().peekable();
        if first == "crate" || first == "self" {
            segments.next();
        }
        while segments.peek().is_some_and(|s| *s == "super") {
            segments.next();
            base.pop()?;
        }
        base.extend(segments.cloned());
        Some(base)
    }
}

fn module_attr_path(attrs: &[syn::Attribute]) -> Option<String> {
    attrs.iter().find(|a| a.path().is_ident("path")).and_then(|a| match &a.meta {
        syn::Meta::NameValue(nv) => match &nv.value {
            syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) => Some(s.value()),
            _ => None,
        },
        _ => None,
    })
}

fn parse(file: &Path) -> syn::File {
    let text = fs::read_to_string(file).unwrap_or_else(|e| panic!("read {}: {e}", file.display()));
    syn::parse_file(&text).unwrap_or_else(|e| panic!("parse {}: {e}", file.display()))
}

/// Finds every module from `file` (the module `module`) down, with the
/// directory its submodules' files live in.
fn discover(krate: &mut Crate, module: ModulePath, file: PathBuf, items: &[syn::Item], dir: &Path) {
    krate.files.insert(module.clone(), file.clone());
    for item in items {
        let syn::Item::Mod(item_mod) = item else { continue };
        let name = item_mod.ident.to_string();
        let mut child = module.clone();
        child.push(name.clone());
        match &item_mod.content {
            // An inline module (`mod tests { … }`) is its own module, in this file.
            Some((_, inner)) => discover(krate, child, file.clone(), inner, &dir.join(&name)),
            None => {
                let (child_file, child_dir) = match module_attr_path(&item_mod.attrs) {
                    Some(path) => {
                        let path = file.parent().unwrap_or(dir).join(path);
                        let dir = path.parent().expect("a module file's directory").to_path_buf();
                        (path, dir)
                    }
                    None if dir.join(format!("{name}.rs")).exists() => {
                        (dir.join(format!("{name}.rs")), dir.join(&name))
                    }
                    None => (dir.join(&name).join("mod.rs"), dir.join(&name)),
                };
                let parsed = parse(&child_file);
                discover(krate, child, child_file, &parsed.items, &child_dir);
            }
        }
    }
}

/// Every path a use tree names, as written, with whether it is `pub`.
fn use_paths(tree: &syn::UseTree, prefix: &mut Vec<String>, out: &mut Vec<(Vec<String>, Option<String>)>) {
    match tree {
        syn::UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            use_paths(&p.tree, prefix, out);
            prefix.pop();
        }
        syn::UseTree::Name(n) if n.ident == "self" => out.push((prefix.clone(), prefix.last().cloned())),
        syn::UseTree::Name(n) => {
            let mut path = prefix.clone();
            path.push(n.ident.to_string());
            out.push((path, Some(n.ident.to_string())));
        }
        syn::UseTree::Rename(r) => {
            let mut path = prefix.clone();
            path.push(r.ident.to_string());
            out.push((path, Some(r.rename.to_string())));
        }
        syn::UseTree::Glob(_) => out.push((prefix.clone(), None)),
        syn::UseTree::Group(g) => {
            for tree in &g.items {
                use_paths(tree, prefix, out);
            }
        }
    }
}

/// Records the re-exports (`pub use`) of every module.
struct Reexports<'a> {
    krate: &'a Crate,
    module: ModulePath,
    found: Vec<((ModulePath, String), Vec<String>)>,
}

impl<'ast> Visit<'ast> for Reexports<'_> {
    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        self.module.push(item.ident.to_string());
        syn::visit::visit_item_mod(self, item);
        self.module.pop();
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        if matches!(item.vis, syn::Visibility::Inherited) {
            return;
        }
        let mut paths = Vec::new();
        use_paths(&item.tree, &mut Vec::new(), &mut paths);
        for (path, name) in paths {
            if let (Some(name), Some(absolute)) = (name, self.krate.absolute(&self.module, &path)) {
                self.found.push(((self.module.clone(), name), absolute));
            }
        }
    }
}

/// Collects, for the module being read, every module its code names.
struct References<'a> {
    krate: &'a Crate,
    module: ModulePath,
    /// (from, to, the path as written)
    found: Vec<(ModulePath, ModulePath, String)>,
}

impl References<'_> {
    fn note(&mut self, path: &[String]) {
        if let Some(absolute) = self.krate.absolute(&self.module, path) {
            let to = self.krate.module_of(&absolute);
            self.found.push((self.module.clone(), to, path.join("::")));
        }
    }

    /// Paths inside a macro call's tokens (`format!`, `matches!`, …), which
    /// syn leaves unparsed: every `a::b::c` run of identifiers.
    fn note_tokens(&mut self, tokens: TokenStream) {
        let mut run: Vec<String> = Vec::new();
        let mut colons = 0;
        for token in tokens {
            match token {
                TokenTree::Ident(ident) if run.is_empty() || colons == 2 => {
                    run.push(ident.to_string());
                    colons = 0;
                }
                TokenTree::Punct(p) if p.as_char() == ':' && !run.is_empty() && colons < 2 => colons += 1,
                other => {
                    if run.len() > 1 {
                        let path = std::mem::take(&mut run);
                        self.note(&path);
                    }
                    run.clear();
                    colons = 0;
                    match other {
                        TokenTree::Group(group) => self.note_tokens(group.stream()),
                        TokenTree::Ident(ident) => run.push(ident.to_string()),
                        _ => {}
                    }
                }
            }
        }
        if run.len() > 1 {
            self.note(&run.clone());
        }
    }
}

impl<'ast> Visit<'ast> for References<'_> {
    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        self.module.push(item.ident.to_string());
        syn::visit::visit_item_mod(self, item);
        self.module.pop();
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        let mut paths = Vec::new();
        use_paths(&item.tree, &mut Vec::new(), &mut paths);
        for (path, _) in paths {
            self.note(&path);
        }
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        self.note(&segments);
        syn::visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.note_tokens(mac.tokens.clone());
        syn::visit::visit_macro(self, mac);
    }
}

/// The crate's modules, what each re-exports, and every reference between
/// modules (from, to, as written, in which file).
fn read_crate() -> (Crate, Vec<(ModulePath, ModulePath, String, PathBuf)>) {
    let mut krate = Crate::default();
    let lib = root().join("src/lib.rs");
    let parsed = parse(&lib);
    discover(&mut krate, Vec::new(), lib, &parsed.items, &root().join("src"));
    // Files once each (inline modules share their file), with the module the file starts in.
    let mut files: BTreeMap<PathBuf, ModulePath> = BTreeMap::new();
    for (module, file) in &krate.files {
        let entry = files.entry(file.clone()).or_insert_with(|| module.clone());
        if module.len() < entry.len() {
            *entry = module.clone();
        }
    }
    let parsed: Vec<(PathBuf, ModulePath, syn::File)> =
        files.into_iter().map(|(file, module)| (file.clone(), module, parse(&file))).collect();
    // Re-exports may name re-exports: read them until nothing new turns up.
    loop {
        let mut found = Vec::new();
        for (_, module, file) in &parsed {
            let mut visitor = Reexports { krate: &krate, module: module.clone(), found: Vec::new() };
            visitor.visit_file(file);
            found.extend(visitor.found);
        }
        let before = krate.reexports.len();
        for (key, target) in found {
            krate.reexports.entry(key).or_insert(target);
        }
        if krate.reexports.len() == before {
            break;
        }
    }
    let mut references = Vec::new();
    for (path, module, file) in &parsed {
        let mut visitor = References { krate: &krate, module: module.clone(), found: Vec::new() };
        visitor.visit_file(file);
        references.extend(visitor.found.into_iter().map(|(from, to, text)| (from, to, text, path.clone())));
    }
    (krate, references)
}

/// A reference between two modules as one between siblings: the children of
/// their closest common ancestor that hold each, or None when one module
/// holds the other.
fn as_siblings(from: &[String], to: &[String]) -> Option<(ModulePath, ModulePath)> {
    let common = from.iter().zip(to).take_while(|(a, b)| a == b).count();
    if common == from.len() || common == to.len() {
        return None;
    }
    Some((from[..=common].to_vec(), to[..=common].to_vec()))
}

/// A cycle in `edges`, as the modules round it, if there is one.
fn find_cycle(edges: &BTreeMap<ModulePath, BTreeSet<ModulePath>>) -> Option<Vec<ModulePath>> {
    fn walk(
        node: &ModulePath,
        edges: &BTreeMap<ModulePath, BTreeSet<ModulePath>>,
        stack: &mut Vec<ModulePath>,
        done: &mut BTreeSet<ModulePath>,
    ) -> Option<Vec<ModulePath>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[at..].to_vec();
            cycle.push(node.clone());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.clone());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(cycle) = walk(next, edges, stack, done) {
                return Some(cycle);
            }
        }
        stack.pop();
        done.insert(node.clone());
        None
    }
    let mut done = BTreeSet::new();
    edges.keys().find_map(|node| walk(node, edges, &mut Vec::new(), &mut done))
}

fn name(module: &[String]) -> String {
    if module.is_empty() {
        "crate".to_owned()
    } else {
        module.join("::")
    }
}

#[test]
fn no_import_circle_between_modules_of_the_worker_crate() {
    let (krate, references) = read_crate();
    for expected in [&["adapter", "d1"][..], &["app", "api"], &["app", "router"], &["store", "memory"], &["d1_sql"]] {
        let expected: ModulePath = expected.iter().map(|s| s.to_string()).collect();
        assert!(krate.is_module(&expected), "module {} was not found", name(&expected));
    }
    let mut edges: BTreeMap<ModulePath, BTreeSet<ModulePath>> = BTreeMap::new();
    let mut why: BTreeMap<(ModulePath, ModulePath), String> = BTreeMap::new();
    for (from, to, text, file) in &references {
        if let Some((a, b)) = as_siblings(from, to) {
            edges.entry(a.clone()).or_default().insert(b.clone());
            why.entry((a, b))
                .or_insert_with(|| format!("{} names `{text}`", file.strip_prefix(root()).unwrap_or(file).display()));
        }
    }
    assert!(
        edges.get(&vec!["adapter".to_owned()]).is_some_and(|to| to.contains(&vec!["app".to_owned()])),
        "the adapter's use of the application is seen: {edges:?}"
    );
    if let Some(cycle) = find_cycle(&edges) {
        let steps: Vec<String> = cycle
            .windows(2)
            .map(|pair| {
                format!("{} -> {} ({})", name(&pair[0]), name(&pair[1]), why[&(pair[0].clone(), pair[1].clone())])
            })
            .collect();
        panic!("an import circle:\n  {}", steps.join("\n  "));
    }
}
