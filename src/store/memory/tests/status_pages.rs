//! `StatusPageStore`: slugs unique whoever owns them, the per-project
//! limit, and only the owner replaces or deletes.

use super::*;
use crate::domain::check::Tags;
use crate::domain::status_page::StatusPage;
use crate::store::{PageCreated, StatusPageStore};

fn page(slug: &str, project: &str, at: i64) -> StatusPage {
    StatusPage {
        slug: slug.to_owned(),
        project_id: project.to_owned(),
        title: format!("{slug} status"),
        tags: Tags::parse("public"),
        checks: vec![check_uuid(1)],
        show_descriptions: false,
        created_at: t(at),
        updated_at: t(at),
    }
}

#[test]
fn a_slug_is_taken_once_across_projects_and_a_project_has_at_most_max_pages() {
    let (store, one) = store();
    let two = add_project(&store, 2);
    assert_eq!(block_on(store.create_status_page(&page("acme", &one, 2), 2)).unwrap(), PageCreated::Created);
    assert_eq!(block_on(store.create_status_page(&page("acme", &two, 3), 2)).unwrap(), PageCreated::SlugTaken);
    assert_eq!(block_on(store.create_status_page(&page("acme", &one, 3), 2)).unwrap(), PageCreated::SlugTaken);
    assert_eq!(block_on(store.create_status_page(&page("beta", &one, 1), 2)).unwrap(), PageCreated::Created);
    assert_eq!(block_on(store.create_status_page(&page("gamma", &one, 4), 2)).unwrap(), PageCreated::AtLimit);
    assert_eq!(
        block_on(store.create_status_page(&page("beta", &one, 4), 2)).unwrap(),
        PageCreated::SlugTaken,
        "taken wins"
    );
    let slugs: Vec<String> = block_on(store.status_pages(&one)).unwrap().into_iter().map(|p| p.slug).collect();
    assert_eq!(slugs, ["beta", "acme"], "oldest first");
    assert!(block_on(store.status_pages(&two)).unwrap().is_empty());
    assert_eq!(block_on(store.status_page("acme")).unwrap().map(|p| p.project_id), Some(one));
    assert_eq!(block_on(store.status_page("nope")).unwrap(), None);
}

#[test]
fn only_the_owner_replaces_or_deletes_a_page_and_its_creation_time_stays() {
    let (store, one) = store();
    let two = add_project(&store, 2);
    block_on(store.create_status_page(&page("acme", &one, 2), 5)).unwrap();
    let mut changed = page("acme", &one, 9);
    changed.title = "Renamed".into();
    changed.show_descriptions = true;
    assert!(!block_on(store.replace_status_page(&StatusPage { project_id: two.clone(), ..changed.clone() })).unwrap());
    assert!(block_on(store.replace_status_page(&changed)).unwrap());
    let stored = block_on(store.status_page("acme")).unwrap().unwrap();
    assert_eq!((stored.title.as_str(), stored.show_descriptions), ("Renamed", true));
    assert_eq!((stored.created_at, stored.updated_at), (t(2), t(9)));
    assert!(!block_on(store.replace_status_page(&page("other", &one, 9))).unwrap(), "no such page");
    assert!(!block_on(store.delete_status_page(&two, "acme")).unwrap());
    assert!(block_on(store.delete_status_page(&one, "acme")).unwrap());
    assert!(!block_on(store.delete_status_page(&one, "acme")).unwrap());
    assert_eq!(block_on(store.status_page("acme")).unwrap(), None);
}
