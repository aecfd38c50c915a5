//! What a law's YAML shape is made of, and the checks its build step shares.
//!
//! A memory law owns its YAML block (see the registry in `memory/mod.rs`), so its module
//! reads the scenario's plain values: quantities (`Memory`), durations, and where a value
//! sits in the file (`Spanned`, `Location`) for error messages. This module is the one
//! door from the model to those values; nothing here reads a file.

use std::borrow::Cow;
use std::ops::Deref;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};

pub use crate::scenario::check::{non_negative, percent, positive_or};
pub use crate::scenario::duration::Duration;
pub use crate::scenario::error::Problem;
pub use crate::scenario::quantity::Memory;
pub use serde_saphyr::{Location, Spanned};

/// A law's YAML block and where it starts in the file (its problems point there).
///
/// Its JSON Schema is the block's own, so the format reference does not see the span.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(transparent)]
pub struct Located<T>(pub Spanned<T>);

impl<T> Deref for Located<T> {
    type Target = Spanned<T>;
    fn deref(&self) -> &Spanned<T> {
        &self.0
    }
}

impl<T: JsonSchema> JsonSchema for Located<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }
    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }
    fn schema_id() -> Cow<'static, str> {
        T::schema_id()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }
}
