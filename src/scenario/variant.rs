//! Variants and sweep points: patches of a scenario, run on the same random streams as
//! the baseline.
//!
//! A variant sets values by path (see `path.rs`) and may add timeline entries; a sweep
//! point sets one value per axis of its grid. The patched scenario is read back with the
//! file's strict rules; problems in values a patch set are reported at the patch's own
//! lines.

use serde_saphyr::Location;

use super::error::Problem;
use super::path;
use super::yaml;

/// One value set by path, with where it was written.
pub struct Setting<'a> {
    /// Value path.
    pub path: &'a str,
    /// New value.
    pub value: serde_json::Value,
    /// Where it was written.
    pub at: Location,
}

/// The scenario with `settings` applied; `who` names the patch in messages.
pub fn patch(
    base: &yaml::ScenarioFile,
    who: &str,
    settings: &[Setting<'_>],
) -> Result<yaml::ScenarioFile, Problem> {
    let mut value = serde_json::to_value(base).expect("specs serialise");
    for s in settings {
        path::set(&mut value, s.path, s.value.clone()).map_err(|m| {
            Problem::new(
                s.at,
                format!("{who}: {m}"),
                "a path to a value of the scenario",
            )
        })?;
    }
    let mut spec: yaml::ScenarioFile = serde_json::from_value(value).map_err(|e| {
        let at = settings.first().map_or(Location::UNKNOWN, |s| s.at);
        Problem::new(
            at,
            format!("{who}: {e}"),
            "values of the same form as in the scenario",
        )
    })?;
    spec.variants.clear();
    spec.sweeps.clear();
    Ok(spec)
}

/// The scenario as variant `v` changes it.
pub fn apply(base: &yaml::ScenarioFile, v: &yaml::Variant) -> Result<yaml::ScenarioFile, Problem> {
    let settings: Vec<Setting<'_>> = v
        .set
        .iter()
        .map(|(p, s)| Setting {
            path: p,
            value: s.value.clone(),
            at: s.referenced,
        })
        .collect();
    let who = format!("variant `{}`", v.name.value);
    let mut spec = patch(base, &who, &settings)?;
    spec.timeline.extend(v.timeline.iter().cloned());
    Ok(spec)
}

/// The grid points of a sweep: one list of settings per point, axes in the order written and
/// the last axis varying fastest.
pub fn grid<'a>(s: &'a yaml::Sweep) -> Vec<Vec<Setting<'a>>> {
    let mut points: Vec<Vec<Setting<'a>>> = vec![Vec::new()];
    for (p, values) in &s.grid {
        let mut next = Vec::with_capacity(points.len() * values.value.len());
        for point in &points {
            for v in &values.value {
                let mut extended: Vec<Setting<'a>> = point
                    .iter()
                    .map(|x| Setting {
                        path: x.path,
                        value: x.value.clone(),
                        at: x.at,
                    })
                    .collect();
                extended.push(Setting {
                    path: p,
                    value: v.clone(),
                    at: values.referenced,
                });
                next.push(extended);
            }
        }
        points = next;
    }
    points
}
