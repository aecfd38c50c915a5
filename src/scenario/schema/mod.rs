//! The scenario format described from its own types: a JSON Schema derived from the
//! [`yaml`](super::yaml) structs (descriptions are their doc comments), so editors with
//! the YAML language server complete and validate scenarios; `meshmem explain` and
//! `docs/scenario-format.md` read the same schema, plus the table of defaults and their
//! real-system sources in [`defaults`].

pub mod defaults;
mod explain;
mod markdown;
mod walk;

pub use explain::explain;
pub use markdown::markdown;

use super::yaml::ScenarioFile;

/// The JSON Schema (draft 2020-12) of a scenario file.
pub fn schema() -> schemars::Schema {
    let generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
    let mut s = generator.into_root_schema_for::<ScenarioFile>();
    s.insert("title".into(), "meshmem scenario".into());
    s
}

/// The schema as pretty JSON text, ending in a newline.
pub fn schema_json() -> String {
    let mut s = serde_json::to_string_pretty(&schema()).unwrap_or_default();
    s.push('\n');
    s
}
