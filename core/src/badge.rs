//! Status badges: aggregating check statuses, rendering healthchecks.io's
//! SVG / JSON / shields.io payloads, and the signed URLs that make a
//! project's badges unguessable without exposing any key.
//!
//! URL scheme (edgebeat's own; only the shape follows healthchecks.io):
//! `/badge/<badge_key>/<sig>[-2]/<tag>.<fmt>` and `/badge/<badge_key>/<sig>[-2].<fmt>`
//! (all checks), where `<sig>` is the first 16 hex characters of
//! HMAC-SHA256(secret, `<badge_key>\n<tag>`), the tag `*` stands for all
//! checks, `-2` selects the two-state badge and `<tag>` is percent-encoded.
//! Per-check badges live at `/b/<states>/<check badge key>.<fmt>`.

use crate::check::ShownStatus;
use crate::ids::{constant_time_eq, to_hex};
use hmac::{Hmac, Mac};
use serde_json::{json, Map, Value};
use sha2::Sha256;

/// The tag that stands for every check of the project.
pub const ALL_TAG: &str = "*";
/// Hex characters of the HMAC kept in a URL: 64 bits is plenty against
/// online guessing and keeps URLs short.
const SIGNATURE_LEN: usize = 16;
/// Suffix of the signature segment that asks for the two-state badge.
const TWO_STATE_SUFFIX: &str = "-2";

/// What a badge shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BadgeState {
    Up,
    Late,
    Down,
}

impl BadgeState {
    pub fn as_str(self) -> &'static str {
        match self {
            BadgeState::Up => "up",
            BadgeState::Late => "late",
            BadgeState::Down => "down",
        }
    }

    /// The SVG fill of the status half.
    pub fn svg_color(self) -> &'static str {
        match self {
            BadgeState::Up => "#4c1",
            BadgeState::Late => "#fe7d37",
            BadgeState::Down => "#e05d44",
        }
    }

    /// shields.io's named colour for the endpoint badge.
    pub fn shields_color(self) -> &'static str {
        match self {
            BadgeState::Up => "success",
            BadgeState::Late => "important",
            BadgeState::Down => "critical",
        }
    }
}

/// The aggregate behind a badge; also the `json` payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadgeSummary {
    pub state: BadgeState,
    pub total: u32,
    pub grace: u32,
    pub down: u32,
}

/// Aggregates checks as healthchecks.io does: any down check makes the badge
/// down, otherwise any check in grace makes a three-state badge late. Grace
/// checks are counted even on two-state badges. No checks at all is `up`.
///
/// For a per-check badge pass the single status: the counters then match
/// healthchecks.io's check badge (total 1, grace/down 0 or 1).
pub fn summarize(statuses: &[ShownStatus], three_state: bool) -> BadgeSummary {
    let mut summary = BadgeSummary { state: BadgeState::Up, total: 0, grace: 0, down: 0 };
    for &status in statuses {
        summary.total = summary.total.saturating_add(1);
        match status {
            ShownStatus::Down => {
                summary.down = summary.down.saturating_add(1);
                summary.state = BadgeState::Down;
            }
            ShownStatus::Grace => {
                summary.grace = summary.grace.saturating_add(1);
                if three_state && summary.state == BadgeState::Up {
                    summary.state = BadgeState::Late;
                }
            }
            ShownStatus::New | ShownStatus::Up | ShownStatus::Paused => {}
        }
    }
    summary
}

/// Approximate rendered width of one character in 11px Verdana, from
/// healthchecks.io's table (unknown characters count 7).
fn char_width(c: char) -> u64 {
    match c {
        'i' | 'j' | 'l' | 'I' => 3,
        'f' | 'r' | 'J' | '-' => 4,
        't' => 5,
        'c' | 'e' | 's' | 'x' | '1' | 'F' | 'L' | 'P' | '_' => 6,
        'A' | 'C' | 'D' | 'H' | 'N' | 'U' | 'V' => 8,
        'w' | 'G' | 'O' | 'Q' => 9,
        'm' | 'M' => 10,
        'W' => 11,
        _ => 7,
    }
}

/// Width of a text in the badge, summed per character (code point).
pub fn text_width(text: &str) -> u64 {
    text.chars().map(char_width).sum()
}

/// `n / 2` printed like a Python float (`8.5`, `10.0`), as healthchecks.io's
/// template shows the text centres.
fn half(n: u64) -> String {
    format!("{}.{}", n / 2, if n % 2 == 1 { 5 } else { 0 })
}

/// Escapes text for XML content and attributes, like Django's `escape`.
pub fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            _ => out.push(c),
        }
    }
    out
}

/// The flat shields-style SVG badge, byte for byte healthchecks.io's template.
pub fn svg(label: &str, state: BadgeState) -> String {
    let status = state.as_str();
    let w1 = text_width(label) + 10;
    let w2 = text_width(status) + 10;
    let width = w1 + w2;
    let label_x = half(w1);
    let status_x = half(2 * w1 + w2);
    let color = state.svg_color();
    let label = escape_xml(label);
    let status = escape_xml(status);
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="{width}" height="20">
  <linearGradient id="smooth" x2="0" y2="100%">
    <stop offset="0" stop-color="#bbb" stop-opacity=".1"/>
    <stop offset="1" stop-opacity=".1"/>
  </linearGradient>

  <mask id="round">
    <rect width="{width}" height="20" rx="3" fill="#fff"/>
  </mask>

  <g mask="url(#round)">
    <rect width="{w1}" height="20" fill="#555"/>
    <rect x="{w1}" width="{w2}" height="20" fill="{color}"/>
    <rect width="{width}" height="20" fill="url(#smooth)"/>
  </g>

  <g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" text-rendering="geometricPrecision" font-size="11">
    <text x="{label_x}" y="15" fill="#010101" fill-opacity=".3">{label}</text>
    <text x="{label_x}" y="14">{label}</text>
    <text x="{status_x}" y="15" fill="#010101" fill-opacity=".3">{status}</text>
    <text x="{status_x}" y="14">{status}</text>
  </g>
</svg>
"##
    )
}

/// The `json` badge payload.
pub fn json_body(summary: &BadgeSummary) -> Value {
    json!({
        "status": summary.state.as_str(),
        "total": summary.total,
        "grace": summary.grace,
        "down": summary.down,
    })
}

/// The `shields` payload, for shields.io's endpoint badge.
pub fn shields_body(label: &str, state: BadgeState) -> Value {
    json!({
        "schemaVersion": 1,
        "label": label,
        "message": state.as_str(),
        "color": state.shields_color(),
    })
}

/// The signature in a project badge URL for `tag` (`*` = all checks). The
/// newline cannot occur in a badge key, so distinct (key, tag) pairs never
/// sign the same message.
pub fn signature(secret: &[u8], badge_key: &str, tag: &str) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!());
    mac.update(badge_key.as_bytes());
    mac.update(b"\n");
    mac.update(tag.as_bytes());
    let mut hex = to_hex(&mac.finalize().into_bytes());
    hex.truncate(SIGNATURE_LEN);
    hex
}

/// Whether `sig` (without any `-2` suffix) is the signature for the badge,
/// compared in constant time so it cannot be found byte by byte.
pub fn verify(secret: &[u8], badge_key: &str, tag: &str, sig: &str) -> bool {
    constant_time_eq(signature(secret, badge_key, tag).as_bytes(), sig.as_bytes())
}

/// The payload a badge URL asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BadgeFormat {
    Svg,
    Json,
    Shields,
}

impl BadgeFormat {
    pub const ALL: [BadgeFormat; 3] = [BadgeFormat::Svg, BadgeFormat::Json, BadgeFormat::Shields];

    /// The URL extension.
    pub fn as_str(self) -> &'static str {
        match self {
            BadgeFormat::Svg => "svg",
            BadgeFormat::Json => "json",
            BadgeFormat::Shields => "shields",
        }
    }

    pub fn parse(ext: &str) -> Option<BadgeFormat> {
        BadgeFormat::ALL.into_iter().find(|format| format.as_str() == ext)
    }
}

/// A parsed project badge URL. The signature still has to be checked with
/// [`verify`] against `tag` (or `*` when `tag` is `None`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadgeRequest {
    pub badge_key: String,
    /// Without the `-2` suffix.
    pub signature: String,
    /// `None` = all checks of the project.
    pub tag: Option<String>,
    pub three_state: bool,
    pub format: BadgeFormat,
}

impl BadgeRequest {
    /// The tag the signature covers.
    pub fn signed_tag(&self) -> &str {
        self.tag.as_deref().unwrap_or(ALL_TAG)
    }
}

/// Keys are server-generated tokens or UUIDs; anything else is not ours.
fn is_key(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Splits `name.ext` at the last dot into a non-empty name and a format.
fn split_format(segment: &str) -> Option<(&str, BadgeFormat)> {
    let (name, ext) = segment.rsplit_once('.')?;
    if name.is_empty() {
        return None;
    }
    Some((name, BadgeFormat::parse(ext)?))
}

/// Decodes `%XX` escapes; malformed escapes and invalid UTF-8 are rejected
/// (the crate passes a malformed escape through, so it is looked for first).
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let well_formed = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'%')
        .all(|(i, _)| bytes.get(i + 1..i + 3).is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit)));
    if !well_formed {
        return None;
    }
    percent_encoding::percent_decode_str(text).decode_utf8().ok().map(|s| s.into_owned())
}

/// Everything but RFC 3986 unreserved characters.
const PATH_SEGMENT: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Encodes everything but RFC 3986 unreserved characters, so any tag fits in
/// one path segment.
fn percent_encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, PATH_SEGMENT).to_string()
}

/// Parses the raw (still percent-encoded) path after `/badge/`:
/// `<badge_key>/<sig>[-2]/<tag>.<fmt>` or `<badge_key>/<sig>[-2].<fmt>`.
/// A tag that decodes to `*` means all checks, as it signs the same.
pub fn parse_badge_path(rest: &str) -> Option<BadgeRequest> {
    let segments: Vec<&str> = rest.split('/').collect();
    let (badge_key, sig, tag, format) = match segments[..] {
        [badge_key, last] => {
            let (sig, format) = split_format(last)?;
            (badge_key, sig, None, format)
        }
        [badge_key, sig, last] => {
            let (tag, format) = split_format(last)?;
            let tag = percent_decode(tag)?;
            if tag.is_empty() {
                return None;
            }
            (badge_key, sig, (tag != ALL_TAG).then_some(tag), format)
        }
        _ => return None,
    };
    if !is_key(badge_key) {
        return None;
    }
    let (sig, three_state) = match sig.strip_suffix(TWO_STATE_SUFFIX) {
        Some(sig) => (sig, false),
        None => (sig, true),
    };
    if sig.is_empty() || !sig.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    Some(BadgeRequest { badge_key: badge_key.to_owned(), signature: sig.to_owned(), tag, three_state, format })
}

/// Parses the path after `/b/`: `<states>/<check badge key>.<fmt>`. States is
/// an integer; 3 means three-state and any other number two-state (leading
/// zeros allowed, as healthchecks.io compares the parsed integer).
pub fn parse_check_badge_path(rest: &str) -> Option<(String, bool, BadgeFormat)> {
    let (states, last) = rest.split_once('/')?;
    if states.is_empty() || !states.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (key, format) = split_format(last)?;
    if !is_key(key) {
        return None;
    }
    Some((key.to_owned(), states.trim_start_matches('0') == "3", format))
}

/// The URL of one project badge.
fn badge_url(base: &str, badge_key: &str, sig: &str, tag: &str, three_state: bool, format: BadgeFormat) -> String {
    let suffix = if three_state { "" } else { TWO_STATE_SUFFIX };
    let ext = format.as_str();
    if tag == ALL_TAG {
        format!("{base}/badge/{badge_key}/{sig}{suffix}.{ext}")
    } else {
        format!("{base}/badge/{badge_key}/{sig}{suffix}/{}.{ext}", percent_encode(tag))
    }
}

/// The six URLs of one tag's badges, keyed as healthchecks.io's API does
/// (bare names are two-state, `…3` three-state).
fn tag_urls(base: &str, secret: &[u8], badge_key: &str, tag: &str) -> Value {
    let sig = signature(secret, badge_key, tag);
    let mut urls = Map::new();
    for format in BadgeFormat::ALL {
        let name = format.as_str();
        urls.insert(name.to_owned(), Value::from(badge_url(base, badge_key, &sig, tag, false, format)));
        urls.insert(format!("{name}3"), Value::from(badge_url(base, badge_key, &sig, tag, true, format)));
    }
    Value::Object(urls)
}

/// The body of `GET /api/v3/badges/`: badge URLs for every tag and for all
/// checks (`*`). `base` is the site root, e.g. `https://edgebeat.example.com`.
/// The URLs carry only the badge key and signatures, never ping URLs or keys.
pub fn badge_urls(base: &str, secret: &[u8], badge_key: &str, tags: &[String]) -> Value {
    let base = base.trim_end_matches('/');
    let mut badges = Map::new();
    for tag in tags.iter().filter(|tag| !tag.is_empty() && tag.as_str() != ALL_TAG) {
        badges.insert(tag.clone(), tag_urls(base, secret, badge_key, tag));
    }
    badges.insert(ALL_TAG.to_owned(), tag_urls(base, secret, badge_key, ALL_TAG));
    json!({ "badges": badges })
}

/// The HTTP answer for a badge: never cached, readable from any origin.
pub fn badge_reply(format: BadgeFormat, label: &str, summary: &BadgeSummary) -> crate::reply::Reply {
    use crate::reply::Reply;
    let reply = match format {
        BadgeFormat::Svg => Reply {
            status: 200,
            headers: vec![("Content-Type", "image/svg+xml".to_owned())],
            body: svg(label, summary.state).into_bytes(),
        },
        BadgeFormat::Json => Reply::json(200, &json_body(summary)),
        BadgeFormat::Shields => Reply::json(200, &shields_body(label, summary.state)),
    };
    reply
        .with_header("Access-Control-Allow-Origin", "*")
        .with_header("Cache-Control", "max-age=0, no-cache, no-store, must-revalidate, private")
}

#[cfg(test)]
mod tests {
    use super::*;
    use ShownStatus::{Down, Grace, New, Paused, Up};

    const SECRET: &[u8] = b"test secret";
    const KEY: &str = "k3y0badge";

    #[test]
    fn no_checks_is_up_with_total_zero() {
        let expected = BadgeSummary { state: BadgeState::Up, total: 0, grace: 0, down: 0 };
        assert_eq!(summarize(&[], true), expected);
        assert_eq!(summarize(&[], false), expected);
    }

    #[test]
    fn new_paused_and_up_count_as_up() {
        let summary = summarize(&[New, Paused, Up], true);
        assert_eq!(summary, BadgeSummary { state: BadgeState::Up, total: 3, grace: 0, down: 0 });
    }

    #[test]
    fn grace_is_late_only_on_three_state_badges_but_always_counted() {
        assert_eq!(
            summarize(&[Up, Grace], true),
            BadgeSummary { state: BadgeState::Late, total: 2, grace: 1, down: 0 }
        );
        assert_eq!(summarize(&[Up, Grace], false), BadgeSummary { state: BadgeState::Up, total: 2, grace: 1, down: 0 });
    }

    #[test]
    fn down_wins_whatever_the_order() {
        for statuses in [[Grace, Down, Up], [Down, Grace, Up], [Up, Grace, Down]] {
            let summary = summarize(&statuses, true);
            assert_eq!(summary, BadgeSummary { state: BadgeState::Down, total: 3, grace: 1, down: 1 });
        }
        assert_eq!(summarize(&[Down, Down, Grace], false).down, 2);
    }

    #[test]
    fn widths_follow_the_table() {
        // b7 a7 c6 k7 u7 p7 s6
        assert_eq!(text_width("backups"), 47);
        // u7 p7
        assert_eq!(text_width("up"), 14);
        // l3 a7 t5 e6
        assert_eq!(text_width("late"), 21);
        // W11 1:6 -4 _6, unknown '*' and 'é' count 7
        assert_eq!(text_width("W1-_*é"), 41);
        assert_eq!(text_width(""), 0);
    }

    #[test]
    fn svg_layout_and_colours() {
        let badge = svg("backups", BadgeState::Up);
        // w1 = 47 + 10 = 57, w2 = 14 + 10 = 24, total 81.
        let first = badge.lines().next().unwrap();
        assert!(
            first.starts_with(r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink""#)
        );
        assert!(first.ends_with(r#" width="81" height="20">"#));
        assert!(badge.contains(r##"<rect width="81" height="20" rx="3" fill="#fff"/>"##));
        assert!(badge.contains(r##"<rect width="57" height="20" fill="#555"/>"##));
        assert!(badge.contains(r##"<rect x="57" width="24" height="20" fill="#4c1"/>"##));
        assert!(badge.contains(r##"<text x="28.5" y="15" fill="#010101" fill-opacity=".3">backups</text>"##));
        assert!(badge.contains(r#"<text x="28.5" y="14">backups</text>"#));
        assert!(badge.contains(r#"<text x="69.0" y="14">up</text>"#));
        assert!(badge.ends_with("</svg>\n"));
        assert_eq!(badge.matches("<text ").count(), 4);
        assert_eq!(badge.matches("<g").count(), badge.matches("</g>").count());
        assert!(svg("x", BadgeState::Late).contains(r##"fill="#fe7d37""##));
        assert!(svg("x", BadgeState::Down).contains(r##"fill="#e05d44""##));
        assert!(svg("x", BadgeState::Down).contains(">down</text>"));
    }

    #[test]
    fn svg_escapes_the_label_but_measures_it_raw() {
        let badge = svg(r#"a&b<c>"d'"#, BadgeState::Up);
        assert!(badge.contains(">a&amp;b&lt;c&gt;&quot;d&#x27;</text>"));
        assert!(!badge.contains("a&b"));
        // a7 &7 b7 <7 c6 >7 "7 d7 '7 = 62, +10
        assert!(badge.contains(r##"<rect width="72" height="20" fill="#555"/>"##));
    }

    #[test]
    fn json_and_shields_bodies() {
        let summary = BadgeSummary { state: BadgeState::Late, total: 3, grace: 1, down: 0 };
        assert_eq!(json_body(&summary), json!({"status": "late", "total": 3, "grace": 1, "down": 0}));
        assert_eq!(
            shields_body("db", BadgeState::Down),
            json!({"schemaVersion": 1, "label": "db", "message": "down", "color": "critical"})
        );
        assert_eq!(shields_body("db", BadgeState::Up)["color"], "success");
        assert_eq!(shields_body("db", BadgeState::Late)["color"], "important");
    }

    #[test]
    fn signatures_are_stable_and_specific() {
        let sig = signature(SECRET, KEY, "db");
        assert_eq!(sig.len(), 16);
        assert!(sig.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_eq!(sig, signature(SECRET, KEY, "db"));
        assert_ne!(sig, signature(SECRET, KEY, "web"));
        assert_ne!(sig, signature(SECRET, "other", "db"));
        assert_ne!(sig, signature(b"other secret", KEY, "db"));
        assert_ne!(signature(SECRET, KEY, ALL_TAG), signature(SECRET, KEY, "db"));
    }

    #[test]
    fn signature_matches_hmac_sha256_of_key_newline_tag() {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(SECRET).unwrap();
        mac.update(b"k3y0badge\ndb");
        assert_eq!(signature(SECRET, KEY, "db"), to_hex(&mac.finalize().into_bytes())[..16]);
    }

    #[test]
    fn verify_rejects_altered_signatures() {
        let sig = signature(SECRET, KEY, "db");
        assert!(verify(SECRET, KEY, "db", &sig));
        assert!(!verify(SECRET, KEY, "web", &sig));
        assert!(!verify(SECRET, "other", "db", &sig));
        assert!(!verify(b"x", KEY, "db", &sig));
        assert!(!verify(SECRET, KEY, "db", &sig[..15]));
        assert!(!verify(SECRET, KEY, "db", &format!("{sig}0")));
        assert!(!verify(SECRET, KEY, "db", &sig.to_uppercase()));
        assert!(!verify(SECRET, KEY, "db", ""));
        let mut flipped = sig.into_bytes();
        flipped[7] = if flipped[7] == b'0' { b'1' } else { b'0' };
        assert!(!verify(SECRET, KEY, "db", &String::from_utf8(flipped).unwrap()));
    }

    fn request(tag: Option<&str>, three_state: bool, format: BadgeFormat) -> BadgeRequest {
        BadgeRequest {
            badge_key: KEY.into(),
            signature: "0123456789abcdef".into(),
            tag: tag.map(String::from),
            three_state,
            format,
        }
    }

    #[test]
    fn parses_tag_badge_paths() {
        use BadgeFormat::*;
        let sig = "0123456789abcdef";
        assert_eq!(parse_badge_path(&format!("{KEY}/{sig}/db.svg")), Some(request(Some("db"), true, Svg)));
        assert_eq!(parse_badge_path(&format!("{KEY}/{sig}-2/db.json")), Some(request(Some("db"), false, Json)));
        assert_eq!(parse_badge_path(&format!("{KEY}/{sig}/v1.2.shields")), Some(request(Some("v1.2"), true, Shields)));
        assert_eq!(parse_badge_path(&format!("{KEY}/{sig}.svg")), Some(request(None, true, Svg)));
        assert_eq!(parse_badge_path(&format!("{KEY}/{sig}-2.shields")), Some(request(None, false, Shields)));
        assert_eq!(parse_badge_path(&format!("{KEY}/{sig}/%2A.svg")), Some(request(None, true, Svg)));
        assert_eq!(request(None, true, Svg).signed_tag(), "*");
        assert_eq!(request(Some("db"), true, Svg).signed_tag(), "db");
    }

    #[test]
    fn percent_decodes_the_tag() {
        let parsed = |tag: &str| parse_badge_path(&format!("{KEY}/0123456789abcdef/{tag}.svg")).map(|r| r.tag);
        assert_eq!(parsed("db%40dc1"), Some(Some("db@dc1".into())));
        assert_eq!(parsed("a%2Fb%2fc"), Some(Some("a/b/c".into())));
        assert_eq!(parsed("caf%C3%A9"), Some(Some("café".into())));
        assert_eq!(parsed("%22%5C%25"), Some(Some(r#""\%"#.into())));
        assert_eq!(parsed("a+b"), Some(Some("a+b".into())));
        // Invalid UTF-8, malformed escapes, empty tags.
        assert_eq!(parsed("%C3"), None);
        assert_eq!(parsed("%FF"), None);
        assert_eq!(parsed("a%4"), None);
        assert_eq!(parsed("a%"), None);
        assert_eq!(parsed("%G0"), None);
        assert_eq!(parsed("%+1"), None);
    }

    #[test]
    fn rejects_garbage_badge_paths() {
        let sig = "0123456789abcdef";
        for path in [
            String::new(),
            KEY.to_owned(),
            format!("{KEY}/{sig}"),
            format!("{KEY}/{sig}.png"),
            format!("{KEY}/{sig}/db.png"),
            format!("{KEY}/{sig}/db"),
            format!("{KEY}/{sig}/.svg"),
            format!("{KEY}/{sig}/db.svg/"),
            format!("{KEY}/{sig}/a/db.svg"),
            format!("{KEY}/.svg"),
            format!("{KEY}/-2.svg"),
            format!("{KEY}/-2/db.svg"),
            format!("{KEY}//db.svg"),
            format!("/{sig}/db.svg"),
            format!("k%20y/{sig}/db.svg"),
            format!("{KEY}/{sig}-3/db.svg"),
            format!("{KEY}/{sig}/db.SVG"),
        ] {
            assert_eq!(parse_badge_path(&path), None, "{path:?}");
        }
    }

    #[test]
    fn parses_check_badge_paths() {
        let key = "0f2ea3c4-5b6d-4e7f-8a9b-0c1d2e3f4a5b";
        assert_eq!(parse_check_badge_path(&format!("3/{key}.svg")), Some((key.into(), true, BadgeFormat::Svg)));
        assert_eq!(parse_check_badge_path(&format!("2/{key}.json")), Some((key.into(), false, BadgeFormat::Json)));
        assert_eq!(
            parse_check_badge_path(&format!("03/{key}.shields")),
            Some((key.into(), true, BadgeFormat::Shields))
        );
        assert_eq!(parse_check_badge_path(&format!("33/{key}.svg")), Some((key.into(), false, BadgeFormat::Svg)));
        assert_eq!(parse_check_badge_path(&format!("0/{key}.svg")), Some((key.into(), false, BadgeFormat::Svg)));
        for path in [
            format!("x/{key}.svg"),
            format!("-3/{key}.svg"),
            format!("/{key}.svg"),
            format!("3/{key}.gif"),
            format!("3/{key}"),
            "3/.svg".to_owned(),
            format!("3/{key}.svg/"),
            format!("3/a/{key}.svg"),
            "3/a%20b.svg".to_owned(),
            "3".to_owned(),
        ] {
            assert_eq!(parse_check_badge_path(&path), None, "{path:?}");
        }
    }

    #[test]
    fn percent_encoding_keeps_only_unreserved_characters() {
        assert_eq!(percent_encode("Az09-_.~"), "Az09-_.~");
        assert_eq!(percent_encode("db@dc1/x y%"), "db%40dc1%2Fx%20y%25");
        assert_eq!(percent_encode("é"), "%C3%A9");
        assert_eq!(percent_decode(&percent_encode("a/b?c#d\"e\\f'é")), Some("a/b?c#d\"e\\f'é".into()));
    }

    #[test]
    fn badge_urls_have_the_api_shape() {
        let tags = vec!["db".to_owned(), "db@dc1".to_owned()];
        let body = badge_urls("https://eb.example.com/", SECRET, KEY, &tags);
        let badges = body["badges"].as_object().unwrap();
        assert_eq!(badges.len(), 3);
        let sig = signature(SECRET, KEY, "db@dc1");
        let dc1 = &badges["db@dc1"];
        assert_eq!(dc1["svg"], format!("https://eb.example.com/badge/{KEY}/{sig}-2/db%40dc1.svg"));
        assert_eq!(dc1["svg3"], format!("https://eb.example.com/badge/{KEY}/{sig}/db%40dc1.svg"));
        assert_eq!(dc1["shields"], format!("https://eb.example.com/badge/{KEY}/{sig}-2/db%40dc1.shields"));
        let all_sig = signature(SECRET, KEY, "*");
        assert_eq!(badges["*"]["json"], format!("https://eb.example.com/badge/{KEY}/{all_sig}-2.json"));
        assert_eq!(badges["*"]["json3"], format!("https://eb.example.com/badge/{KEY}/{all_sig}.json"));
        for urls in badges.values() {
            let keys: Vec<&String> = urls.as_object().unwrap().keys().collect();
            assert_eq!(keys.len(), 6);
            for name in ["svg", "svg3", "json", "json3", "shields", "shields3"] {
                assert!(urls[name].is_string(), "{name}");
            }
        }
    }

    #[test]
    fn every_badge_url_parses_back_and_verifies() {
        let tags: Vec<String> =
            ["db", "v1.2", "a/b", "100%", "quo\"te", "back\\slash", "café", "~x_y-z", "?#&="].map(String::from).into();
        let prefix = "https://eb.example.com/badge/";
        let body = badge_urls("https://eb.example.com", SECRET, KEY, &tags);
        let badges = body["badges"].as_object().unwrap();
        assert_eq!(badges.len(), tags.len() + 1);
        for (tag, urls) in badges {
            for (name, url) in urls.as_object().unwrap() {
                let url = url.as_str().unwrap();
                let rest = url.strip_prefix(prefix).unwrap();
                let parsed = parse_badge_path(rest).unwrap_or_else(|| panic!("{url}"));
                assert_eq!(parsed.badge_key, KEY);
                assert_eq!(parsed.signed_tag(), tag.as_str());
                assert_eq!(parsed.three_state, name.ends_with('3'), "{url}");
                assert_eq!(parsed.format.as_str(), name.trim_end_matches('3'));
                assert!(verify(SECRET, KEY, parsed.signed_tag(), &parsed.signature), "{url}");
                assert!(!verify(b"another secret", KEY, parsed.signed_tag(), &parsed.signature));
                assert!(!url.contains("/ping/") && !url.contains("hcw_") && !url.contains("hcr_"));
                assert!(!url[prefix.len()..].contains(['?', '#', ' ', '"', '\\']), "{url}");
            }
        }
    }

    #[test]
    fn star_and_empty_tags_are_not_listed_twice() {
        let tags = vec!["*".to_owned(), String::new(), "db".to_owned(), "db".to_owned()];
        let body = badge_urls("https://eb.example.com", SECRET, KEY, &tags);
        let badges = body["badges"].as_object().unwrap();
        let mut keys: Vec<&String> = badges.keys().collect();
        keys.sort();
        assert_eq!(keys, ["*", "db"]);
        assert!(badges["*"]["svg"].as_str().unwrap().ends_with("-2.svg"));
    }
}
