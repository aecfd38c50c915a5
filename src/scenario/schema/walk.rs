//! Reading the derived schema as a tree of keys: `$ref`s followed, `Option`'s
//! `anyOf [T, null]` unwrapped, list items and map values stepped into.

use serde_json::{Map, Value};

/// A key of the scenario format.
#[derive(Clone, Debug)]
pub struct Key {
    /// Dotted path (`workloads.containers.memory.leak.perRequest`).
    pub path: String,
    /// The key's own name.
    pub name: String,
    /// Type as people read it (`Memory`, `[]object`, `map of string`).
    pub kind: String,
    /// Required by its parent.
    pub required: bool,
    /// The doc comment.
    pub description: String,
    /// The resolved schema of what the key holds (an object's, for an object).
    pub node: Value,
}

/// Follows `$ref` and strips the `null` of an `Option`.
pub fn resolve<'a>(root: &'a Value, mut v: &'a Value) -> &'a Value {
    loop {
        if let Some(r) = v.get("$ref").and_then(Value::as_str) {
            match r
                .strip_prefix("#/$defs/")
                .and_then(|n| root.get("$defs")?.get(n))
            {
                Some(target) => v = target,
                None => return v,
            }
            continue;
        }
        if let Some(any) = v.get("anyOf").and_then(Value::as_array) {
            let non_null: Vec<&Value> = any
                .iter()
                .filter(|x| x.get("type").and_then(Value::as_str) != Some("null"))
                .collect();
            if non_null.len() == 1 && non_null.len() < any.len() {
                v = non_null[0];
                continue;
            }
        }
        return v;
    }
}

/// The named type of a node before resolving (`Memory`, `Duration`, …), if any.
fn ref_name(root: &Value, v: &Value) -> Option<String> {
    let v = match v.get("anyOf").and_then(Value::as_array) {
        Some(any) => any
            .iter()
            .find(|x| x.get("type").and_then(Value::as_str) != Some("null"))?,
        None => v,
    };
    let name = v.get("$ref")?.as_str()?.strip_prefix("#/$defs/")?;
    let def = root.get("$defs")?.get(name)?;
    let scalar = def.get("properties").is_none() && def.get("oneOf").is_none();
    scalar.then(|| name.to_string())
}

/// The type of `v` as people read it.
pub fn kind(root: &Value, v: &Value) -> String {
    if let Some(n) = ref_name(root, v) {
        return n;
    }
    let r = resolve(root, v);
    if let Some(e) = r.get("enum").and_then(Value::as_array) {
        let names: Vec<String> = e
            .iter()
            .filter_map(|x| x.as_str().map(String::from))
            .collect();
        return format!("one of {}", names.join(" | "));
    }
    if let Some(one) = r.get("oneOf").and_then(Value::as_array) {
        let names: Vec<String> = one
            .iter()
            .filter_map(|x| x.get("const").or_else(|| x.get("enum")?.get(0)))
            .filter_map(|x| x.as_str().map(String::from))
            .collect();
        if !names.is_empty() {
            return format!("one of {}", names.join(" | "));
        }
    }
    let ty = r.get("type");
    let ty = match ty {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("any"),
        Some(Value::String(s)) => s.as_str(),
        _ => "any",
    };
    match ty {
        "array" => format!(
            "[]{}",
            r.get("items").map_or("any".into(), |i| kind(root, i))
        ),
        "object" if r.get("properties").is_none() => match r.get("additionalProperties") {
            Some(a) if a.is_object() => format!("map of string to {}", kind(root, a)),
            Some(Value::Bool(false)) => "object".into(),
            _ => "map of string to any".into(),
        },
        "integer" => {
            let unsigned = r
                .get("minimum")
                .and_then(Value::as_f64)
                .is_some_and(|m| m >= 0.0);
            if unsigned {
                "integer ≥ 0".into()
            } else {
                "integer".into()
            }
        }
        other => other.into(),
    }
}

/// The object (properties, required) a node holds, stepping through lists and maps.
pub fn object<'a>(root: &'a Value, v: &'a Value) -> Option<&'a Map<String, Value>> {
    let r = resolve(root, v);
    if let Some(items) = r.get("items") {
        return object(root, items);
    }
    if r.get("properties").is_none()
        && let Some(a) = r.get("additionalProperties").filter(|a| a.is_object())
    {
        return object(root, a);
    }
    r.get("properties")?;
    r.as_object()
}

/// The keys directly under `node` (an object, or a list or map of objects).
pub fn children(root: &Value, node: &Value, prefix: &str) -> Vec<Key> {
    let Some(obj) = object(root, node) else {
        return Vec::new();
    };
    let required: Vec<&str> = obj
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(props) = obj.get("properties").and_then(Value::as_object) else {
        return Vec::new();
    };
    props
        .iter()
        .map(|(name, v)| Key {
            path: if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}.{name}")
            },
            name: name.clone(),
            kind: kind(root, v),
            required: required.contains(&name.as_str()),
            description: description(root, v),
            node: v.clone(),
        })
        .collect()
}

/// A node's description: its own, else its type's.
pub fn description(root: &Value, v: &Value) -> String {
    v.get("description")
        .or_else(|| resolve(root, v).get("description"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

/// Every key, depth first, in the order the types declare them.
pub fn all_keys(root: &Value) -> Vec<Key> {
    fn walk(root: &Value, node: &Value, prefix: &str, depth: usize, out: &mut Vec<Key>) {
        if depth > 12 {
            return;
        }
        for k in children(root, node, prefix) {
            let path = k.path.clone();
            let node = k.node.clone();
            out.push(k);
            walk(root, &node, &path, depth + 1, out);
        }
    }
    let mut out = Vec::new();
    walk(root, root, "", 0, &mut out);
    out
}

/// The key at a dotted path (`workloads.containers.memory`; `[…]` parts are ignored).
pub fn find(root: &Value, path: &str) -> Option<Key> {
    let clean: String = {
        let mut s = String::new();
        let mut depth = 0;
        for c in path.chars() {
            match c {
                '[' => depth += 1,
                ']' => depth -= 1,
                _ if depth == 0 => s.push(c),
                _ => {}
            }
        }
        s
    };
    let mut node = root.clone();
    let mut found: Option<Key> = None;
    let mut prefix = String::new();
    // A key may hold a dot itself (`memory.available`): parts are joined until one matches.
    let mut pending = String::new();
    for part in clean.split('.').filter(|p| !p.is_empty()) {
        if !pending.is_empty() {
            pending.push('.');
        }
        pending.push_str(part);
        if let Some(k) = children(root, &node, &prefix)
            .into_iter()
            .find(|k| k.name == pending)
        {
            prefix = k.path.clone();
            node = k.node.clone();
            found = Some(k);
            pending.clear();
        }
    }
    if pending.is_empty() { found } else { None }
}
