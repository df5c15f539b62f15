//! A check's tags: space-separated words, parsed once, exactly as
//! healthchecks' `tags_list()` splits them (on spaces, each word stripped of
//! whitespace). The text is kept as sent: healthchecks' API shows it verbatim.

/// Every check that `edgebeat sync` or `k8s-sync` manages carries the tag
/// `edgebeat:<set>`; prune only ever deletes checks with its own set's tag.
/// It is bookkeeping, not a grouping people chose: no badge is made for it.
pub const SYNC_MARKER_PREFIX: &str = "edgebeat:";

/// Whether `tag` is a sync set's marker.
pub fn is_sync_marker(tag: &str) -> bool {
    tag.starts_with(SYNC_MARKER_PREFIX)
}

/// The tags of a check.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tags {
    text: String,
    words: Vec<String>,
}

impl Tags {
    pub fn parse(text: &str) -> Tags {
        Tags {
            text: text.to_owned(),
            words: text.split(' ').map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect(),
        }
    }

    /// As sent and stored.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.words.iter().map(String::as_str)
    }

    /// Whether `tag` is one of the words (not a part of one).
    pub fn contains(&self, tag: &str) -> bool {
        self.words.iter().any(|t| t == tag)
    }

    /// Whether any of `tags` is among these.
    pub fn contains_any<'a>(&self, mut tags: impl Iterator<Item = &'a str>) -> bool {
        tags.any(|tag| self.contains(tag))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_whole_words() {
        let tags = Tags::parse(" prod  db ");
        assert_eq!(tags.as_str(), " prod  db ");
        assert_eq!(tags.iter().collect::<Vec<_>>(), ["prod", "db"]);
        assert!(tags.contains("db"));
        assert!(!tags.contains("pro"));
        assert!(!Tags::parse("").contains(""));
        assert!(tags.contains_any(["web", "db"].into_iter()));
        assert_eq!(Tags::parse("a\tb c").iter().collect::<Vec<_>>(), ["a\tb", "c"], "as healthchecks splits");
    }

    #[test]
    fn sync_markers_are_told_apart() {
        assert!(is_sync_marker("edgebeat:k8s"));
        assert!(!is_sync_marker("edgebeat"));
        assert!(!is_sync_marker("prod"));
    }
}
