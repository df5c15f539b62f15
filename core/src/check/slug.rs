//! Slugs made from names, as healthchecks.io's API v1 and v2 make them: with
//! Django's `slugify` (without `allow_unicode`).

use super::ascii_fold::fold;

/// Django's `slugify(name)`: NFKD-normalised and reduced to ASCII (anything
/// without an ASCII decomposition is dropped), lowercased, stripped of every
/// character that is not a letter, digit, underscore, whitespace or hyphen,
/// with each run of whitespace and hyphens made one hyphen, and leading and
/// trailing hyphens and underscores removed. The result matches the slug
/// pattern `^[a-z0-9-_]*$` (it is empty when nothing is left).
pub fn slugify(name: &str) -> String {
    let mut slug = String::with_capacity(name.len());
    // A run of whitespace and hyphens seen since the last kept character.
    let mut separator = false;
    // NFKD reduced to ASCII, one character at a time (see ascii_fold.rs).
    let ascii = name.chars().flat_map(|c| if c.is_ascii() { vec![c] } else { fold(c).chars().collect() });
    for c in ascii {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() || c == '_' {
            if separator {
                slug.push('-');
                separator = false;
            }
            slug.push(c);
        } else if c == '-' || is_python_whitespace(c) {
            separator = true;
        }
        // Anything else is removed before runs are collapsed, so it never
        // splits a run: "a -!- b" is "a-b".
    }
    // A trailing run would become a hyphen, which is stripped anyway.
    slug.trim_matches(['-', '_']).to_owned()
}

/// The ASCII characters Python's `\s` matches in a `str` pattern: the usual
/// whitespace and the information separators 0x1C to 0x1F.
fn is_python_whitespace(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\x0b' | '\x0c' | '\r' | '\x1c'..='\x1f' | ' ')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::is_valid_slug;

    /// Inputs and what Django 5.2's `django.utils.text.slugify` returns for
    /// them (the first nine are Django's own test cases).
    const DJANGO: &[(&str, &str)] = &[
        ("Hello, World!", "hello-world"),
        ("spam & eggs", "spam-eggs"),
        (" multiple---dash and  space ", "multiple-dash-and-space"),
        ("\t whitespace-in-value \n", "whitespace-in-value"),
        ("underscore_in-value", "underscore_in-value"),
        ("__strip__underscore-value___", "strip__underscore-value"),
        ("--strip-dash-value---", "strip-dash-value"),
        ("__strip-mixed-value---", "strip-mixed-value"),
        ("_ -strip-mixed-value _-", "strip-mixed-value"),
        ("spam & ıçüş", "spam-cus"),
        ("İstanbul", "istanbul"),
        ("你好", ""),
        ("Nightly Backup (prod)", "nightly-backup-prod"),
        ("Crème Brûlée", "creme-brulee"),
        ("ﬁle ﬃ", "file-ffi"),
        ("Ⅻ №5 ½", "xii-no5-12"),
        ("a\x1cb\x1fc", "a-b-c"),
        ("a\u{a0}b", "a-b"),
        ("a\u{2003}b", "a-b"),
        ("DB backup — nightly", "db-backup-nightly"),
        ("x_-_y", "x_-_y"),
        ("a-_-b", "a-_-b"),
        ("__", ""),
        ("", ""),
        ("!!!", ""),
        ("München Straße", "munchen-strae"),
        ("Ærøskøbing", "rskbing"),
        ("Łódź", "odz"),
        ("ÀÉÎÕÜ", "aeiou"),
        ("tab\there", "tab-here"),
        ("a/b\\c.d", "abcd"),
        ("under__score", "under__score"),
        ("a - b", "a-b"),
        ("ＦＵＬＬ ｗｉｄｔｈ", "full-width"),
        ("²³", "23"),
        ("e\u{301}", "e"),
        ("Ǆ", "dz"),
        ("one\u{200b}two", "onetwo"),
        ("café-au-lait ", "cafe-au-lait"),
        ("___a___", "a"),
        ("-_a_-", "a"),
        ("a -!- b", "a-b"),
    ];

    #[test]
    fn slugs_are_what_django_makes() {
        for (name, slug) in DJANGO {
            assert_eq!(slugify(name), *slug, "{name:?}");
        }
    }

    #[test]
    fn slugs_match_the_slug_pattern_or_are_empty() {
        for (name, _) in DJANGO {
            let slug = slugify(name);
            assert!(slug.is_empty() || is_valid_slug(&slug), "{name:?} -> {slug:?}");
        }
    }
}
