//! `meshmem schema` and `meshmem explain`: the scenario format, described from its types.

use std::io::Write;

use super::AppError;
use crate::cli::{ExplainArgs, SchemaArgs, SchemaFormat};
use crate::scenario::schema;

/// Prints the JSON Schema or the Markdown reference.
pub fn execute(args: &SchemaArgs, out: &mut dyn Write) -> Result<(), AppError> {
    let text = match args.format {
        SchemaFormat::Json => schema::schema_json(),
        SchemaFormat::Markdown => schema::markdown(),
    };
    let _ = out.write_all(text.as_bytes());
    Ok(())
}

/// Prints one key of the format.
pub fn explain(args: &ExplainArgs, out: &mut dyn Write) -> Result<(), AppError> {
    let text = schema::explain(&args.path).map_err(AppError::Usage)?;
    let _ = out.write_all(text.as_bytes());
    Ok(())
}
