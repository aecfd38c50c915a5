//! Value paths: how variants, sweeps and Helm upgrades name a value in a scenario.
//!
//! A path is a chain of keys separated by dots, with bracketed selectors:
//!
//! - `duration` — a top-level key;
//! - `workloads[api].replicas` — in a list, the element whose `name` (or `service`) is
//!   `api`; a number selects by position (`timeline[0]`);
//! - `annotations[sidecar.istio.io/proxyMemoryLimit]` — in a map, a key that contains
//!   dots or slashes.
//!
//! Paths are applied to the scenario as a JSON value, which is then read back with the
//! same strict rules as the file, so a wrong path or value is reported, never ignored.

use serde_json::Value;

/// One step of a path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    /// A map key.
    Key(String),
    /// A bracketed selector.
    Select(String),
}

const FORM: &str = "a value path such as `workloads[api].containers[app].resources.limits.memory`";

/// Parses a path.
pub fn parse(path: &str) -> Result<Vec<Segment>, String> {
    let bad = |why: &str| format!("`{path}` is not a value path ({why}); expected {FORM}");
    let mut out = Vec::new();
    let mut rest = path;
    while !rest.is_empty() {
        if let Some(inner) = rest.strip_prefix('[') {
            let end = inner.find(']').ok_or_else(|| bad("unclosed `[`"))?;
            if end == 0 {
                return Err(bad("empty `[]`"));
            }
            out.push(Segment::Select(inner[..end].to_string()));
            rest = &inner[end + 1..];
        } else {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            if end == 0 {
                return Err(bad("empty key"));
            }
            out.push(Segment::Key(rest[..end].to_string()));
            rest = &rest[end..];
        }
        if let Some(r) = rest.strip_prefix('.') {
            if r.is_empty() || r.starts_with(['.', '[']) {
                return Err(bad("empty key"));
            }
            rest = r;
        }
    }
    if out.is_empty() {
        return Err(bad("empty"));
    }
    Ok(out)
}

fn names(v: &Value) -> impl Iterator<Item = &str> {
    ["name", "service", "workload"]
        .into_iter()
        .filter_map(move |k| v.get(k).and_then(Value::as_str))
}

fn step<'a>(node: &'a mut Value, seg: &Segment, path: &str) -> Result<&'a mut Value, String> {
    match (node, seg) {
        (Value::Object(map), Segment::Key(k) | Segment::Select(k)) => {
            Ok(map.entry(k.clone()).or_insert(Value::Null))
        }
        (Value::Array(items), Segment::Select(sel)) => {
            let by_name = items.iter().position(|v| names(v).any(|n| n == sel));
            let i = by_name
                .or_else(|| sel.parse::<usize>().ok().filter(|&i| i < items.len()))
                .ok_or_else(|| format!("`{path}`: no element `{sel}` in this list"))?;
            Ok(&mut items[i])
        }
        (Value::Array(_), Segment::Key(k)) => Err(format!(
            "`{path}`: `{k}` is a list; select an element with `{k}[name]`"
        )),
        (Value::Null, seg) => Err(format!(
            "`{path}`: nothing to select `{seg:?}` from (the value above it is unset)"
        )),
        (_, seg) => Err(format!(
            "`{path}`: cannot select `{seg:?}` in a plain value"
        )),
    }
}

/// Sets the value at `path` in `root`, creating missing map keys. Setting a map key or a
/// selected list element to null removes it (as in a JSON merge patch), so a default
/// applies again or a timeline entry goes away.
pub fn set(root: &mut Value, path: &str, value: Value) -> Result<(), String> {
    let segments = parse(path)?;
    let (last, parents) = segments.split_last().expect("paths are not empty");
    let mut node = root;
    if value.is_null() {
        for seg in parents {
            node = step(node, seg, path)?;
        }
        match (&mut *node, last) {
            (Value::Object(map), Segment::Key(k) | Segment::Select(k)) => {
                map.remove(k);
                return Ok(());
            }
            (Value::Array(_), Segment::Select(_)) => {
                let target: *const Value = step(node, last, path)?;
                if let Value::Array(items) = node {
                    items.retain(|v| !std::ptr::eq(v, target));
                }
                return Ok(());
            }
            _ => {}
        }
        return step(node, last, path).map(|n| *n = Value::Null);
    }
    for seg in &segments {
        if node.is_null() && matches!(seg, Segment::Key(_) | Segment::Select(_)) {
            *node = Value::Object(serde_json::Map::new());
        }
        node = step(node, seg, path)?;
    }
    *node = value;
    Ok(())
}

/// The last word of a value path: the last key, or the last `/`-part of the last
/// bracketed name (`workloads[api].annotations[sidecar.istio.io/proxyMemoryLimit]` →
/// `proxyMemoryLimit`, `traffic[api].rps` → `rps`).
pub fn last_word(path: &str) -> &str {
    let tail = match path.rfind(']') {
        Some(end) if end + 1 == path.len() => {
            let start = path[..end].rfind('[').map_or(0, |s| s + 1);
            &path[start..end]
        }
        _ => path.rsplit(['.', ']']).next().unwrap_or(path),
    };
    tail.rsplit('/').next().unwrap_or(tail)
}

#[cfg(test)]
mod tests {
    #[test]
    fn last_words_name_sweep_axes() {
        assert_eq!(
            super::last_word("workloads[api].annotations[sidecar.istio.io/proxyMemoryLimit]"),
            "proxyMemoryLimit"
        );
        assert_eq!(super::last_word("traffic[api].rps"), "rps");
        assert_eq!(
            super::last_word("workloads[a].containers[a].resources.limits.memory"),
            "memory"
        );
    }

    use super::*;
    use serde_json::json;

    #[test]
    fn paths_parse_keys_and_selectors() {
        assert_eq!(
            parse("workloads[api].annotations[sidecar.istio.io/proxyMemoryLimit]").unwrap(),
            vec![
                Segment::Key("workloads".into()),
                Segment::Select("api".into()),
                Segment::Key("annotations".into()),
                Segment::Select("sidecar.istio.io/proxyMemoryLimit".into()),
            ]
        );
        for bad in ["", "a..b", "a[", "a[]", ".a", "a."] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn set_selects_list_elements_by_name_and_creates_keys() {
        let mut v = json!({"workloads": [{"name": "a"}, {"name": "api", "replicas": 1}]});
        set(&mut v, "workloads[api].replicas", json!(5)).unwrap();
        set(&mut v, "workloads[api].annotations[x.io/y]", json!("1")).unwrap();
        set(&mut v, "workloads[0].replicas", json!(2)).unwrap();
        assert_eq!(v["workloads"][1]["replicas"], json!(5));
        assert_eq!(v["workloads"][1]["annotations"]["x.io/y"], json!("1"));
        assert_eq!(v["workloads"][0]["replicas"], json!(2));
        assert!(set(&mut v, "workloads[nope].replicas", json!(1)).is_err());
        set(&mut v, "workloads[api].annotations[x.io/y]", Value::Null).unwrap();
        assert!(v["workloads"][1]["annotations"].get("x.io/y").is_none());
        set(&mut v, "workloads[a]", Value::Null).unwrap();
        assert_eq!(v["workloads"].as_array().unwrap().len(), 1);
        assert!(set(&mut v, "workloads.replicas", json!(1)).is_err());
    }
}
