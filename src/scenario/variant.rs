//! Variants: named patches of a scenario, run on the same random streams as the baseline.
//!
//! A variant sets values by path (see `path.rs`) and may add timeline entries. The
//! patched scenario is read back with the file's strict rules; problems in values the
//! variant set are reported at the variant's own lines.

use super::error::Problem;
use super::path;
use super::spec::{ScenarioSpec, VariantSpec};

/// The scenario as variant `v` changes it.
pub fn apply(base: &ScenarioSpec, v: &VariantSpec) -> Result<ScenarioSpec, Problem> {
    let mut value = serde_json::to_value(base).expect("specs serialise");
    for (p, new) in &v.set {
        path::set(&mut value, p, new.value.clone()).map_err(|m| {
            Problem::new(
                new.referenced,
                format!("variant `{}`: {m}", v.name.value),
                "a path to a value of the scenario",
            )
        })?;
    }
    let mut spec: ScenarioSpec = serde_json::from_value(value).map_err(|e| {
        let at = v
            .set
            .values()
            .next()
            .map_or(v.name.referenced, |s| s.referenced);
        Problem::new(
            at,
            format!("variant `{}`: {e}", v.name.value),
            "values of the same form as in the scenario",
        )
    })?;
    spec.timeline.extend(v.timeline.iter().cloned());
    spec.variants.clear();
    Ok(spec)
}
