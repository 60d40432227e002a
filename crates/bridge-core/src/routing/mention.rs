//! `@mention` matching.
//!
//! `@Name` addresses an agent when `Name` equals the agent name case-insensitively and
//! is not followed by another name character: `@Coder` matches `Coder` but never
//! `CoderX`, `Coder_2` or `Coder-bot`. The `@` must start a word, so an address such as
//! `ops@coder.dev` mentions nobody. Multi-word names (`@Testing Agent`) match with any
//! run of whitespace between the words. There is no substring matching anywhere: that
//! is the reference adapter's bug that wakes every agent whose name shares letters.
//!
//! Cost: `benches/core.rs` (`mention_match_4k`) scans a 4 KiB message.

/// A character that continues a name (`\w` in Unicode terms).
fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Tells whether `text` mentions the agent `name`.
#[must_use]
pub fn mentions(text: &str, name: &str) -> bool {
    let words: Vec<&str> = name.split_whitespace().collect();
    if words.is_empty() {
        return false;
    }
    text.match_indices('@').any(|(at, _)| {
        let starts_word = text[..at].chars().next_back().is_none_or(|c| !is_name_char(c));
        starts_word && matches_at(&text[at + 1..], &words)
    })
}

/// Matches the name's words at the start of `rest`, followed by a name boundary.
fn matches_at(rest: &str, words: &[&str]) -> bool {
    let mut remaining = rest;
    for (index, word) in words.iter().enumerate() {
        if index > 0 {
            let trimmed = remaining.trim_start();
            if trimmed.len() == remaining.len() {
                return false;
            }
            remaining = trimmed;
        }
        match strip_prefix_ignore_case(remaining, word) {
            Some(after) => remaining = after,
            None => return false,
        }
    }
    is_boundary(remaining)
}

/// After a name: the end, or a character that cannot continue it. A hyphen or dot
/// followed by a name character continues the name (`@Coder-bot`, `@Coder.v2`).
fn is_boundary(after: &str) -> bool {
    let mut chars = after.chars();
    match chars.next() {
        Some(c) if is_name_char(c) => false,
        Some('-' | '.') => !chars.next().is_some_and(is_name_char),
        None | Some(_) => true,
    }
}

/// Strips `prefix` from the start of `text`, comparing case-insensitively.
fn strip_prefix_ignore_case<'t>(text: &'t str, prefix: &str) -> Option<&'t str> {
    let mut text_chars = text.char_indices();
    for expected in prefix.chars() {
        let (_, actual) = text_chars.next()?;
        if actual != expected && !actual.to_lowercase().eq(expected.to_lowercase()) {
            return None;
        }
    }
    Some(text_chars.next().map_or("", |(offset, _)| &text[offset..]))
}

/// Returns the single-word handles after each word-starting `@`, lower-cased
/// (`"@Coder please ask @qa-bot"` gives `["coder", "qa-bot"]`).
///
/// Use [`MentionMatcher`] when the agent names are known; this is the fallback for a
/// message's `mentions` field when they are not.
#[must_use]
pub fn mention_tokens(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (at, _) in text.match_indices('@') {
        if text[..at].chars().next_back().is_some_and(is_name_char) {
            continue;
        }
        let handle: String = text[at + 1..]
            .chars()
            .take_while(|c| is_name_char(*c) || *c == '-')
            .collect::<String>()
            .trim_end_matches('-')
            .to_lowercase();
        if !handle.is_empty() && !out.contains(&handle) {
            out.push(handle);
        }
    }
    out
}

/// Finds which of a known set of agent names a text mentions.
#[derive(Clone, Debug, Default)]
pub struct MentionMatcher {
    names: Vec<String>,
}

impl MentionMatcher {
    /// Builds a matcher over these names.
    pub fn new<I: IntoIterator<Item = S>, S: Into<String>>(names: I) -> Self {
        Self { names: names.into_iter().map(Into::into).collect() }
    }

    /// Returns the lower-cased names the text mentions, in the matcher's order.
    #[must_use]
    pub fn mentioned_in(&self, text: &str) -> Vec<String> {
        if !text.contains('@') {
            return Vec::new();
        }
        let mut out: Vec<String> = Vec::new();
        for name in &self.names {
            let lower = name.to_lowercase();
            if !out.contains(&lower) && mentions(text, name) {
                out.push(lower);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn exact_case_insensitive_matches() {
        assert!(mentions("@Coder fix it", "Coder"));
        assert!(mentions("hey @coder, fix it", "Coder"));
        assert!(mentions("(@CODER)", "coder"));
        assert!(mentions("end with @Coder.", "Coder"));
        assert!(mentions("@Coder- fix it", "Coder"));
        assert!(mentions("@Coder", "  Coder "));
    }

    #[test]
    fn never_a_substring() {
        assert!(!mentions("@CoderX fix it", "Coder"));
        assert!(!mentions("@Coder_2 fix it", "Coder"));
        assert!(!mentions("@Coder-bot fix it", "Coder"));
        assert!(!mentions("@Co fix it", "Coder"));
        assert!(!mentions("@co", "Coder"));
        assert!(!mentions("mail ops@coder.dev", "Coder"));
        assert!(!mentions("Coder without at", "Coder"));
        assert!(!mentions("@Coder", ""));
    }

    #[test]
    fn multi_word_names() {
        assert!(mentions("@Testing Agent run the suite", "Testing Agent"));
        assert!(mentions("@testing   agent run", "Testing Agent"));
        assert!(!mentions("@Testing run", "Testing Agent"));
        assert!(!mentions("@Testing Agents run", "Testing Agent"));
        assert!(!mentions("@TestingAgent run", "Testing Agent"));
    }

    #[test]
    fn unicode_names() {
        assert!(mentions("salut @Élodie !", "élodie"));
        assert!(!mentions("salut @Élodies", "élodie"));
    }

    #[test]
    fn tokens_and_matcher() {
        assert_eq!(mention_tokens("@Coder please ask @qa-bot, cc a@b"), vec!["coder", "qa-bot"]);
        let matcher = MentionMatcher::new(["Coder", "Testing Agent", "Co"]);
        assert_eq!(matcher.mentioned_in("@coder and @Testing Agent"), vec!["coder", "testing agent"]);
        assert!(matcher.mentioned_in("no mentions").is_empty());
    }

    fn name_strategy() -> impl Strategy<Value = String> {
        "[A-Za-z][A-Za-z0-9_]{0,11}( [A-Za-z][A-Za-z0-9]{0,7})?"
    }

    proptest! {
        #[test]
        fn a_longer_handle_never_matches(name in name_strategy(), suffix in "[A-Za-z0-9_]{1,6}", pre in "[ a-z,.!?]{0,10}") {
            let text = format!("{pre}@{name}{suffix} please");
            prop_assert!(!mentions(&text, &name));
        }

        #[test]
        fn an_exact_handle_always_matches(name in name_strategy(), pre in "[ a-z,.!?]{0,10}", post in "[ ,!?][ a-z]{0,10}|[.]") {
            let text = format!("{pre} @{}{post}", name.to_uppercase());
            prop_assert!(mentions(&text, &name));
        }

        #[test]
        fn a_truncated_handle_never_matches(name in "[A-Za-z]{2,12}", cut in 1usize..12) {
            let cut = cut.min(name.len() - 1);
            let text = format!("@{} hello", &name[..cut]);
            prop_assert!(!mentions(&text, &name));
        }

        #[test]
        fn text_without_at_never_matches(name in name_strategy(), text in "[^@]{0,200}") {
            prop_assert!(!mentions(&text, &name));
        }
    }
}
