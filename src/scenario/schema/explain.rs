//! `meshmem explain PATH`: one key of the format, as `kubectl explain` shows a field —
//! its type, default and the default's source, what it means, and the keys under it.

use super::defaults::default_of;
use super::walk::{self, Key};

/// Where a key's default is listed: a workload's `proxy:` shares the mesh's table.
pub(super) fn default_path(path: &str) -> String {
    match path.strip_prefix("workloads.proxy.") {
        Some(rest) => format!("mesh.proxy.{rest}"),
        None => path.to_string(),
    }
}

/// A type's unit, for the scalar types that carry one.
pub(super) fn unit_of(kind: &str) -> &'static str {
    match kind {
        "Memory" => "bytes (512Mi, 1.5Gi; a bare number is bytes)",
        "Cpu" => "cores (500m, 2)",
        "Duration" => "time (10s, 15m, 2h45m)",
        _ => "",
    }
}

/// The text for the key at `path` (empty: the top level), or an error naming the keys
/// that do exist there.
pub fn explain(path: &str) -> Result<String, String> {
    let schema = serde_json::to_value(super::schema()).map_err(|e| e.to_string())?;
    let path = path.trim().trim_matches('.');
    let (key, children) = if path.is_empty() {
        (None, walk::children(&schema, &schema, ""))
    } else {
        let key = walk::find(&schema, path).ok_or_else(|| not_found(&schema, path))?;
        let children = walk::children(&schema, &key.node, &key.path);
        (Some(key), children)
    };
    let mut out = String::new();
    match &key {
        None => {
            out += "KEY:      (scenario file)\n";
            out += &format!("DESCRIPTION:\n  {}\n", walk::description(&schema, &schema));
        }
        Some(k) => describe(&mut out, k),
    }
    if !children.is_empty() {
        out += "\nFIELDS:\n";
        let width = children.iter().map(|c| c.name.len()).max().unwrap_or(0);
        for c in &children {
            let first = c.description.lines().next().unwrap_or("");
            out += &format!(
                "  {:<width$}  <{}>{}  {}\n",
                c.name,
                c.kind,
                if c.required { " required" } else { "" },
                first
            );
        }
    }
    Ok(out)
}

fn describe(out: &mut String, k: &Key) {
    *out += &format!("KEY:      {}\n", k.path);
    *out += &format!("TYPE:     {}", k.kind);
    if !unit_of(&k.kind).is_empty() {
        *out += &format!(" — {}", unit_of(&k.kind));
    }
    *out += "\n";
    if k.required {
        *out += "REQUIRED: yes\n";
    }
    if let Some(d) = default_of(&default_path(&k.path)) {
        *out += &format!("DEFAULT:  {}", d.value);
        if !d.unit.is_empty() {
            *out += &format!(" ({})", d.unit);
        }
        *out += &format!("\nSOURCE:   {}\n", d.source);
    }
    *out += "DESCRIPTION:\n";
    for line in k.description.lines() {
        *out += &format!("  {line}\n");
    }
}

fn not_found(schema: &serde_json::Value, path: &str) -> String {
    let (parent, last) = path.rsplit_once('.').unwrap_or(("", path));
    let node = if parent.is_empty() {
        Some(schema.clone())
    } else {
        walk::find(schema, parent).map(|k| k.node)
    };
    let names: Vec<String> = node
        .map(|n| walk::children(schema, &n, parent))
        .unwrap_or_default()
        .into_iter()
        .map(|k| k.name)
        .collect();
    if names.is_empty() {
        format!("no key `{path}` in the scenario format (`meshmem explain` lists the top level)")
    } else {
        format!(
            "no key `{last}` under `{}`; the keys there: {}",
            if parent.is_empty() {
                "the top level"
            } else {
                parent
            },
            names.join(", ")
        )
    }
}
