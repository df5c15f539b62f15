//! The HTML of `/status/<slug>`: small, server-rendered, no script, styled
//! only by the static `status/style.css` (the page's Content-Security-Policy
//! allows nothing inline), readable on a phone. `maud` escapes every text
//! it is given, so a check's name or the page's title is always text.

use super::availability::Day;
use super::view::{percent, PublicCheck, PublicPage};
use super::DAYS;
use maud::{html, Markup, DOCTYPE};

/// How a day's bar looks: no data, no downtime, some, or mostly down.
fn level(day: &Day) -> &'static str {
    match day.down_fraction() {
        None => "none",
        Some(down) if down <= 0.0 => "up",
        Some(down) if down < 0.5 => "partial",
        Some(_) => "down",
    }
}

fn day_title(day: &Day) -> String {
    match day.down_fraction() {
        None => format!("{}: no data", day.date()),
        Some(down) => format!("{}: {} up", day.date(), percent(1.0 - down)),
    }
}

/// What the bars say, for those who cannot see them.
fn bars_label(check: &PublicCheck) -> String {
    let down_days = check.days.iter().filter(|d| d.down_ms > 0).count();
    let days = match down_days {
        0 => "no downtime".to_owned(),
        1 => "down on 1 day".to_owned(),
        n => format!("down on {n} days"),
    };
    match check.uptime() {
        Some(uptime) => format!("Last {DAYS} days: {} up, {days}", percent(uptime)),
        None => format!("Last {DAYS} days: no data"),
    }
}

fn check_item(check: &PublicCheck) -> Markup {
    html! {
        li.check {
            div.check-head {
                h2 { (check.name) }
                span class={ "status status-" (check.status.code()) } { (check.status.words()) }
            }
            @if let Some(description) = &check.description {
                p.description { (description) }
            }
            div.bars role="img" aria-label=(bars_label(check)) {
                @for day in &check.days {
                    span class={ "bar bar-" (level(day)) } title=(day_title(day)) {}
                }
            }
            div.legend aria-hidden="true" {
                span { (DAYS) " days ago" }
                span {
                    @match check.uptime() {
                        Some(uptime) => { (percent(uptime)) " up" }
                        None => "No data",
                    }
                }
                span { "Today" }
            }
        }
    }
}

/// The whole page.
pub fn page_html(page: &PublicPage) -> String {
    let updated = page.generated_at.to_datetime().format("%Y-%m-%d %H:%M UTC").to_string();
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                title { (page.title) " status" }
                link rel="stylesheet" href="style.css";
                link rel="icon" href="../app/favicon.svg" type="image/svg+xml";
                link rel="alternate" type="application/json" href={ (page.slug) ".json" };
            }
            body {
                main {
                    header.page-head {
                        h1 { (page.title) }
                        p class={ "overall overall-" (page.overall.code()) } { (page.overall.words()) }
                        p.updated {
                            "Updated "
                            time datetime=(page.generated_at.iso8601()) { (updated) }
                        }
                    }
                    @if page.checks.is_empty() {
                        p.empty { "No checks are shown on this page yet." }
                    } @else {
                        ul.checks aria-label="Checks" {
                            @for check in &page.checks {
                                (check_item(check))
                            }
                        }
                    }
                    footer {
                        p {
                            "Each bar is a day (UTC); the time a check was paused or not yet running counts as no data. "
                            a href={ (page.slug) ".json" } { "This page as JSON" }
                        }
                    }
                }
            }
        }
    };
    markup.into_string()
}

/// The page for a slug that names no page.
pub fn not_found_html() -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                title { "Status page not found" }
                link rel="stylesheet" href="style.css";
            }
            body {
                main {
                    h1 { "Status page not found" }
                    p { "There is no status page at this address. Check the link you followed." }
                }
            }
        }
    }
    .into_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Status;
    use crate::status_page::availability::Change;
    use crate::status_page::parse_page;
    use crate::status_page::view::public_page;
    use crate::status_page::view::tests::check;
    use crate::time::Timestamp;

    #[test]
    fn every_text_is_escaped_and_nothing_is_inline() {
        let body = br#"{"slug": "acme", "title": "<script>alert(1)</script> & \"co\"", "tags": "public", "show_descriptions": true}"#;
        let page = parse_page(body, None).unwrap().into_page("p", Timestamp::from_millis(0), Timestamp::from_millis(0));
        let now = Timestamp::from_secs(1_800_000_000);
        let checks = [check(1, "<img src=x onerror=alert(2)>", Status::Down, "<b>bold</b>")];
        let changes = [(1, Change { at: now.plus_secs(-60), old: Status::Up, new: Status::Down })];
        let html = page_html(&public_page(&page, &checks, &changes, now));
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("<b>"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;co&quot;"), "{html}");
        assert!(html.contains("&lt;b&gt;bold&lt;/b&gt;"));
        assert!(!html.contains("style="), "no inline style: the CSP allows none");
        assert_eq!(html.matches("class=\"bar bar-").count(), DAYS);
        assert!(html.contains("status status-down\">Down<"));
        assert!(html.contains("Some checks are down"));
    }
}
