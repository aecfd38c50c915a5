//! Names that leave the scenario: a scenario's name is its output folder, a sweep's name
//! is part of a chart's file name, a variant's name is a cell of every CSV row and a
//! label of every chart. Each is checked here, once, by `check` and again by `merge` on
//! the names it reads back from disk, so that no name can reach outside `--out` or
//! collide with another.

/// The longest name accepted: room for the staging suffix and a chart prefix within a
/// file system's 255-byte file names.
pub const MAX_LEN: usize = 100;

/// What a scenario or sweep name may be.
pub const FILE_NAME_FORM: &str = "letters, digits, '-', '_' and '.', not starting with '.', at most 100 characters (it names a folder or file)";

/// What a variant name may be.
pub const VARIANT_FORM: &str = "a name of printable characters without '/' (reserved for sweep points `<sweep>/<n>`), at most 100 characters";

/// `name` is a single, plain path component: safe as a folder or file name anywhere.
pub fn is_file_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_LEN
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

/// Checks a scenario name (its output folder).
pub fn check_scenario(name: &str) -> Result<(), String> {
    if is_file_name(name) {
        Ok(())
    } else {
        Err(format!("`{name}` cannot be a scenario name"))
    }
}

/// Checks a sweep name (`charts/sweep-<name>.png`).
pub fn check_sweep(name: &str) -> Result<(), String> {
    if is_file_name(name) {
        Ok(())
    } else {
        Err(format!("`{name}` cannot be a sweep name"))
    }
}

/// Checks the name of a variant written in a scenario (not a sweep point).
pub fn check_variant(name: &str) -> Result<(), String> {
    if name == super::BASELINE {
        return Err("a variant cannot be named `baseline`".into());
    }
    if name.is_empty() || name.chars().count() > MAX_LEN || name.chars().any(char::is_control) {
        return Err(format!(
            "`{}` cannot be a variant name",
            name.escape_debug()
        ));
    }
    if name.contains('/') {
        return Err(format!(
            "variant name `{name}` contains '/', which only sweep points' names (`<sweep>/<n>`) have"
        ));
    }
    Ok(())
}

/// The name of point `k` of sweep `sweep`.
pub fn sweep_point(sweep: &str, k: usize) -> String {
    format!("{sweep}/{k}")
}

/// Checks a variant name read back from a run's outputs: the baseline, a variant, or a
/// point of the sweep `sweep` names.
pub fn check_recorded_variant(name: &str, sweep: Option<&str>) -> Result<(), String> {
    match sweep {
        None if name == super::BASELINE => Ok(()),
        None => check_variant(name),
        Some(s) => {
            check_sweep(s)?;
            let point = name
                .strip_prefix(s)
                .and_then(|rest| rest.strip_prefix('/'))
                .filter(|k| !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit()));
            point
                .map(|_| ())
                .ok_or_else(|| format!("`{name}` is not a point of sweep `{s}`"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_single_plain_components() {
        for ok in ["trace-sampling-leak", "a.b_c-1", "X"] {
            assert!(is_file_name(ok), "{ok}");
        }
        for bad in [
            "", ".", "..", "../x", "/abs", "a/b", ".hidden", "a b", "é", "a\\b", "a\0",
        ] {
            assert!(!is_file_name(bad), "{bad:?}");
        }
        assert!(!is_file_name(&"a".repeat(MAX_LEN + 1)));
    }

    #[test]
    fn variant_names_leave_slashes_to_sweep_points() {
        assert!(check_variant("more, please").is_ok());
        assert!(check_variant("s/0").unwrap_err().contains("'/'"));
        assert!(check_variant("baseline").is_err());
        assert!(check_variant("a\nb").is_err());
        assert!(check_recorded_variant("s/0", Some("s")).is_ok());
        assert!(check_recorded_variant("s/x", Some("s")).is_err());
        assert!(check_recorded_variant("../0", Some("..")).is_err());
        assert!(check_recorded_variant("baseline", None).is_ok());
    }
}
