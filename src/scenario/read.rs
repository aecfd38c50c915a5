//! From a file's bytes to the scenario's YAML types, every problem placed and put in the
//! user's words.
//!
//! - The bytes must be UTF-8; the first bad byte is reported with its line, column and
//!   offset.
//! - The YAML reader (serde-saphyr) is strict: no `yes`/`no` booleans, no duplicate keys,
//!   one document, and a budget on what aliases expand to (an "alias bomb" of a few
//!   lines would otherwise expand to millions of values). Its messages are written for
//!   developers ("set DuplicateKeyPolicy in Options"); those that would leak are
//!   rewritten here, and a tab is reported where it is, not at the scalar before it.
//! - No number may be `.inf` or `.nan`: a second, typeless read rejects them wherever
//!   they are, so no field can carry one into the model.

use serde_saphyr::Error;

use super::error::{Place, Problem};
use super::yaml::ScenarioFile;

/// `bytes` as text, or the place of the first byte that is not UTF-8.
pub fn decode(bytes: &[u8]) -> Result<&str, Problem> {
    std::str::from_utf8(bytes).map_err(|e| {
        let at = e.valid_up_to();
        let valid = std::str::from_utf8(&bytes[..at]).unwrap_or_default();
        let mut place = Place::at_byte(valid, at, 1);
        place.len = 0;
        Problem::new(
            place,
            format!("byte {at} (0x{:02x}) is not UTF-8 text", bytes[at]),
            "a scenario file in UTF-8",
        )
    })
}

/// Strict booleans; the reader's default budget bounds what aliases expand to (250 000
/// values, where shipped scenarios hold a few hundred).
fn options() -> serde_saphyr::Options {
    serde_saphyr::options! { strict_booleans: true }
}

/// Reads YAML `text` into the scenario's types.
pub fn read_file(text: &str) -> Result<ScenarioFile, Problem> {
    let spec: ScenarioFile =
        serde_saphyr::from_str_with_options(text, options()).map_err(|e| problem(text, &e))?;
    // Typed fields take `.nan` and `.inf`; a typeless read refuses them with a place.
    serde_saphyr::from_str_with_options::<serde_json::Value>(text, options())
        .map_err(|e| problem(text, &e))?;
    Ok(spec)
}

/// The error a YAML error wraps (alias and snippet wrappers removed).
fn original(mut e: &Error) -> &Error {
    while let Error::AliasError { error, .. } | Error::WithSnippet { error, .. } = e {
        e = error;
    }
    e
}

/// A YAML error as a problem of the scenario.
fn problem(text: &str, e: &Error) -> Problem {
    let at = e.location().map_or(Place::UNKNOWN, Place::from);
    let (message, expected) = match original(e) {
        Error::DuplicateMappingKey { key, .. } => (
            match key {
                Some(k) => format!("`{k}` is written twice in the same mapping"),
                None => "a key is written twice in the same mapping".to_string(),
            },
            "each key once".to_string(),
        ),
        Error::MultipleDocuments { .. } => (
            "a second YAML document (after `---`)".to_string(),
            "one scenario per file".to_string(),
        ),
        Error::Budget {
            breach: serde_saphyr::budget::BudgetBreach::Depth { .. },
            ..
        } => (
            "the YAML nests too deeply".to_string(),
            "at most a few dozen levels of nesting".to_string(),
        ),
        Error::Budget { .. }
        | Error::AliasReplayCounterOverflow { .. }
        | Error::AliasReplayLimitExceeded { .. }
        | Error::AliasExpansionLimitExceeded { .. }
        | Error::AliasReplayStackDepthExceeded { .. } => (
            "the YAML expands to too many values: aliases (`*name`) repeat anchors too often, or the file is far larger than a scenario"
                .to_string(),
            "fewer aliases; write values out, or use variants and sweeps".to_string(),
        ),
        Error::NonFiniteFloat { value, .. } => (
            format!("`{value}` is not a finite number"),
            "a finite number".to_string(),
        ),
        Error::Eof { .. } => (
            "the file ends before a scenario begins".to_string(),
            "a scenario: name, duration, nodes and workloads at least".to_string(),
        ),
        Error::Unexpected { expected, .. } => (
            format!("expected {expected} here"),
            "the form the README's annotated scenario shows for this key".to_string(),
        ),
        Error::InvalidUtf8Input => (
            "the file is not UTF-8 text".to_string(),
            "a scenario file in UTF-8".to_string(),
        ),
        _ => {
            let full = e.without_snippet().to_string();
            let message = match full.rsplit_once(" at line ") {
                Some((m, _)) => m.to_string(),
                None => full,
            };
            let expected = expected_form(&message);
            (message, expected)
        }
    };
    let at = if message.contains("tab") {
        tab_after(text, at)
    } else {
        at
    };
    Problem::new(at, message, expected)
}

/// The first tab at or after `at`: the YAML reader reports a tab that ends a plain scalar
/// at the start of that scalar, often on the line before.
fn tab_after(text: &str, at: Place) -> Place {
    let from = at.offset.unwrap_or(0).min(text.len());
    match text.get(from..).and_then(|rest| rest.find('\t')) {
        Some(i) => Place::at_byte(text, from + i, 1),
        None => at,
    }
}

/// A hint for the terse messages of the YAML reader.
fn expected_form(message: &str) -> String {
    let hints = [
        ("invalid u32", "a whole number ≥ 0"),
        ("invalid u64", "a whole number ≥ 0"),
        ("invalid f64", "a number"),
        ("invalid boolean", "true or false"),
        ("missing field", "the field named above"),
        ("unknown field", "one of the fields listed above"),
        (
            "tab",
            "spaces for indentation (YAML does not allow tabs there)",
        ),
    ];
    hints
        .iter()
        .find(|(k, _)| message.contains(k))
        .map_or_else(String::new, |(_, h)| (*h).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_byte_is_placed_by_line_column_and_offset() {
        let p = decode(b"name: x\nduration: \xff1h\n").unwrap_err();
        assert_eq!((p.at.line, p.at.column, p.at.offset), (2, 11, Some(18)));
        assert!(p.message.contains("byte 18"), "{}", p.message);
    }

    #[test]
    fn a_tab_is_found_after_the_scalar_it_ends() {
        let text = "a: 1\n\tb: 2\n";
        let p = tab_after(text, Place::at_byte(text, 3, 1));
        assert_eq!((p.line, p.column), (2, 1));
    }
}
