//! The documentation cannot rot: every relative link and image in README.md
//! and docs/*.md leads to a file that exists and, with a `#fragment`, to a
//! heading of that page (GitHub's anchors); every page in docs/ is listed in
//! the index, docs/README.md. Markdown is parsed with pulldown-cmark, so links
//! inside code blocks are not links.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use std::collections::{BTreeSet, HashMap};
use std::fs;
use std::path::{Component, Path, PathBuf};

/// Pages being written on other branches at the same time as the index that
/// links them. A link to one of these may point nowhere until they are merged;
/// once a page exists it must leave this list (the test says so).
const PENDING_PAGES: &[&str] = &[];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The Markdown files checked: README.md and every docs/*.md.
fn pages() -> Vec<PathBuf> {
    let mut pages: Vec<PathBuf> = fs::read_dir(root().join("docs"))
        .expect("read docs/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    pages.sort();
    pages.insert(0, root().join("README.md"));
    pages
}

/// GitHub's anchor for a heading: lowercased, punctuation dropped (but `-`
/// and `_`), spaces as `-`; a repeated heading gets `-1`, `-2`, ...
fn anchors(markdown: &str) -> BTreeSet<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut found = BTreeSet::new();
    let mut heading: Option<String> = None;
    for event in Parser::new_ext(markdown, Options::ENABLE_TABLES) {
        match event {
            Event::Start(Tag::Heading { .. }) => heading = Some(String::new()),
            Event::Text(text) | Event::Code(text) => {
                if let Some(h) = heading.as_mut() {
                    h.push_str(&text);
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                let text = heading.take().unwrap_or_default();
                let slug: String = text
                    .to_lowercase()
                    .chars()
                    .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
                    .map(|c| if c == ' ' { '-' } else { c })
                    .collect();
                let count = seen.entry(slug.clone()).or_insert(0);
                found.insert(if *count == 0 { slug.clone() } else { format!("{slug}-{count}") });
                *count += 1;
            }
            _ => {}
        }
    }
    found
}

/// Every link and image destination in a page (not those in code).
fn destinations(markdown: &str) -> Vec<String> {
    Parser::new_ext(markdown, Options::ENABLE_TABLES)
        .filter_map(|event| match event {
            Event::Start(Tag::Link { dest_url, .. }) | Event::Start(Tag::Image { dest_url, .. }) => {
                Some(dest_url.into_string())
            }
            _ => None,
        })
        .collect()
}

fn is_external(dest: &str) -> bool {
    dest.contains("://") || dest.starts_with("mailto:")
}

/// `base/../x` as a path inside the repository, without touching the disk.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[test]
fn every_relative_link_and_image_leads_to_a_file_and_heading_that_exist() {
    let mut broken = Vec::new();
    let mut links = 0;
    for page in pages() {
        let text = fs::read_to_string(&page).expect("read a page");
        let name = page.strip_prefix(root()).unwrap_or(&page).display().to_string();
        for dest in destinations(&text) {
            if is_external(&dest) {
                continue;
            }
            links += 1;
            let (file, fragment) = dest.split_once('#').map_or((dest.as_str(), None), |(f, a)| (f, Some(a)));
            let target =
                if file.is_empty() { page.clone() } else { normalize(&page.parent().unwrap_or(root()).join(file)) };
            let relative = target.strip_prefix(root()).unwrap_or(&target).display().to_string();
            if !target.exists() {
                if !PENDING_PAGES.contains(&relative.as_str()) {
                    broken.push(format!("{name}: `{dest}`: no file {relative}"));
                }
                continue;
            }
            if let Some(fragment) = fragment {
                let is_markdown = target.extension().is_some_and(|e| e == "md");
                let headings = anchors(&fs::read_to_string(&target).unwrap_or_default());
                if !is_markdown || !headings.contains(fragment) {
                    broken
                        .push(format!("{name}: `{dest}`: {relative} has no heading #{fragment} (it has {headings:?})"));
                }
            }
        }
    }
    assert!(links > 50, "only {links} relative links found: is the parser reading the pages?");
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn every_page_is_in_the_index_and_pending_pages_are_still_pending() {
    let index = fs::read_to_string(root().join("docs/README.md")).expect("docs/README.md, the index");
    let listed: BTreeSet<String> = destinations(&index).into_iter().filter(|d| !is_external(d)).collect();
    for page in pages().iter().skip(1) {
        let file = page.file_name().unwrap_or_default().to_string_lossy().into_owned();
        if file != "README.md" {
            assert!(listed.contains(&file), "docs/{file} is not listed in docs/README.md");
        }
    }
    for pending in PENDING_PAGES {
        assert!(
            !root().join(pending).exists(),
            "{pending} exists now: remove it from PENDING_PAGES in tests/docs_links.rs, so links to it are checked"
        );
        let file = pending.trim_start_matches("docs/");
        assert!(listed.contains(file), "the index does not list {pending}");
    }
}

#[test]
fn anchors_follow_githubs_rules() {
    let page = "# edgebeat\n## The `edgebeat` command-line tool\n### Past one database (`make bench-shards`, docs/scaling.md)\n## Notes\n## Notes\n";
    let found = anchors(page);
    for anchor in [
        "edgebeat",
        "the-edgebeat-command-line-tool",
        "past-one-database-make-bench-shards-docsscalingmd",
        "notes",
        "notes-1",
    ] {
        assert!(found.contains(anchor), "{anchor} not in {found:?}");
    }
    assert_eq!(destinations("[a](x.md#y) ![b](img.png)\n\n```\n[c](not-a-link.md)\n```\n"), ["x.md#y", "img.png"]);
}
