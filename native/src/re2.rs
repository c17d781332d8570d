//! RE2 syntax (what validation checks with re2js, SPEC 10.2) to the `regex` crate's syntax.
//!
//! The two parsers read most of RE2 alike, but the crate gives a few RE2 spellings another
//! meaning (test/native-regex.test.ts keeps the list). Where RE2's meaning can be written in
//! the crate's syntax, this rewrites it, so the native backend matches what re2js matches:
//!
//! - `\d \D \w \W \s \S` are ASCII classes in RE2 (`\s` is `[\t\n\f\r ]`, without `\v`); the
//!   crate's are Unicode classes (with `\v` in `\s`, and large enough that `\w{1000}` exceeds
//!   its size limit). They become the explicit ASCII classes (nested inside a class, which the
//!   crate reads as a union).
//! - `\<` and `\>` are literal `<` and `>` in RE2; word-boundary assertions in the crate.
//! - A `{` that does not start a repetition (`{n}`, `{n,}`, `{n,m}`) is literal in RE2
//!   (`a{,3}`, `\b{start}` is a boundary then the text `{start}`); the crate refuses it or,
//!   after `\b`, reads an assertion. It is escaped.
//! - Inside a class, `[` is literal in RE2 unless it opens a POSIX class `[:name:]`, and `&&`,
//!   `~~` are literal; the crate reads a nested class, intersection and symmetric difference.
//!   So `[` (not before `:`), `&` and `~` are escaped there.
//!
//! Anything else is copied unchanged (an escape is copied as a pair, so `\\d` stays a
//! backslash and a `d`). Syntax that only one of them accepts is left for the crate to refuse
//! or for validation to refuse (the test's list).

/// `[0-9]`, `[0-9A-Za-z_]` and `[\t\n\f\r ]`: RE2's Perl classes.
fn perl_class(c: char) -> Option<&'static str> {
    Some(match c {
        'd' => "[0-9]",
        'D' => "[^0-9]",
        'w' => "[0-9A-Za-z_]",
        'W' => "[^0-9A-Za-z_]",
        's' => "[\\t\\n\\f\\r ]",
        'S' => "[^\\t\\n\\f\\r ]",
        _ => return None,
    })
}

/// Whether `chars` starts with `{n}`, `{n,}` or `{n,m}` (RE2's repetitions; anything else
/// from `{` is literal text).
fn is_repetition(chars: &[char]) -> bool {
    let digits = |from: usize| chars[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    let n = digits(1);
    if n == 0 {
        return false;
    }
    match chars.get(1 + n) {
        Some('}') => true,
        Some(',') => {
            let m = digits(2 + n);
            chars.get(2 + n + m) == Some(&'}')
        }
        _ => false,
    }
}

/// The crate-syntax spelling of the RE2 regex `source`.
pub fn to_rust_syntax(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len() + 16);
    let mut i = 0;
    // Inside a bracket class, and the index where its items start (a `]` there is literal).
    let mut in_class = false;
    let mut items_start = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' {
            let Some(&next) = chars.get(i + 1) else {
                out.push(c);
                break;
            };
            if let Some(class) = perl_class(next) {
                out.push_str(class);
            } else if next == '<' || next == '>' {
                out.push(next);
            } else if matches!(next, 'p' | 'P' | 'x') && chars.get(i + 2) == Some(&'{') {
                // `\p{Greek}`, `\x{41}`: the braces are the escape's, copied through `}`.
                let end = chars[i + 2..].iter().position(|&c| c == '}').map_or(chars.len(), |k| i + 3 + k);
                out.extend(&chars[i..end]);
                i = end;
                continue;
            } else {
                out.push(c);
                out.push(next);
            }
            i += 2;
            continue;
        }
        if in_class {
            match c {
                ']' if i > items_start => in_class = false,
                '[' if chars.get(i + 1) == Some(&':') => {
                    // A POSIX class: copied through its closing `:]` (RE2 refuses an unclosed one).
                    let close =
                        (i + 2..chars.len().saturating_sub(1)).find(|&j| chars[j] == ':' && chars[j + 1] == ']');
                    if let Some(j) = close {
                        out.extend(&chars[i..j + 2]);
                        i = j + 2;
                        continue;
                    }
                    out.push_str("\\[");
                    i += 1;
                    continue;
                }
                '[' | '&' | '~' => {
                    out.push('\\');
                    out.push(c);
                    i += 1;
                    continue;
                }
                _ => {}
            }
            out.push(c);
            i += 1;
            continue;
        }
        if c == '{' && !is_repetition(&chars[i..]) {
            out.push_str("\\{");
            i += 1;
            continue;
        }
        if c == '[' {
            in_class = true;
            out.push(c);
            i += 1;
            if chars.get(i) == Some(&'^') {
                out.push('^');
                i += 1;
            }
            items_start = i;
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::to_rust_syntax as t;

    #[test]
    fn perl_classes_become_ascii_classes() {
        assert_eq!(t(r"\d+"), "[0-9]+");
        assert_eq!(t(r"\w\W"), "[0-9A-Za-z_][^0-9A-Za-z_]");
        assert_eq!(t(r"\s\S"), r"[\t\n\f\r ][^\t\n\f\r ]");
        assert_eq!(t(r"[\d.]"), "[[0-9].]");
        assert_eq!(t(r"[^\D]"), "[^[^0-9]]");
        assert_eq!(t(r"\\d"), r"\\d", "an escaped backslash, then d");
        assert_eq!(t(r"\\\d"), r"\\[0-9]");
    }

    #[test]
    fn word_boundary_spellings_keep_their_re2_meaning() {
        assert_eq!(t(r"\<a\>"), "<a>");
        assert_eq!(t(r"a\b{end}"), r"a\b\{end}");
        assert_eq!(t(r"\B{x}"), r"\B\{x}");
        assert_eq!(t(r"\b\B"), r"\b\B");
        assert_eq!(t(r"\b{0,0}\B{2}"), r"\b{0,0}\B{2}", "a repetition of a boundary");
    }

    #[test]
    fn a_brace_that_is_no_repetition_is_literal() {
        for (re2, rust) in [
            ("a{,3}", r"a\{,3}"),
            ("a{x}", r"a\{x}"),
            ("{", r"\{"),
            ("a{1", r"a\{1"),
            ("a{1,2", r"a\{1,2"),
            ("a{1,x}", r"a\{1,x}"),
        ] {
            assert_eq!(t(re2), rust);
        }
        for same in ["a{1}", "a{1,}", "a{1,22}", "a{0}?", r"\{", "[{]", "a}"] {
            assert_eq!(t(same), same);
        }
    }

    #[test]
    fn class_brackets_and_set_operators_are_literal() {
        assert_eq!(t("[a[bc]]"), r"[a\[bc]]");
        assert_eq!(t("[[:alpha:]_]"), "[[:alpha:]_]");
        assert_eq!(t("[[:^space:]]"), "[[:^space:]]");
        assert_eq!(t("[[.a.]]"), r"[\[.a.]]");
        assert_eq!(t("[a&&b~~c]"), r"[a\&\&b\~\~c]");
        assert_eq!(t("[]a]"), "[]a]");
        assert_eq!(t("[^]a]"), "[^]a]");
        assert_eq!(t("[a]&&[b]"), "[a]&&[b]", "outside a class: unchanged");
        assert_eq!(t(r"[\]&]"), r"[\]\&]");
        assert_eq!(t("[[:alpha"), r"[\[:alpha", "no closing :] (RE2 refuses it; so will the crate)");
    }

    #[test]
    fn everything_else_is_unchanged() {
        for s in
            ["", "a|b", "(?i)x{2,3}?", r"\pL\p{Greek}\PL", r"\x{41}\x41", r"\Qa\E", "\\", "a\\", "(?P<n>x)", "é[é-ê]"]
        {
            assert_eq!(t(s), s);
        }
    }
}
