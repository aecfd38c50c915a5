//! Errors of `meshmem import`: always the file, line and column, what is wrong, and the
//! form that was expected — the same shape as a scenario's errors.

use std::path::Path;

use miette::Diagnostic;

/// An input `meshmem import` cannot use.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{file}:{line}:{column}: {message}")]
#[diagnostic(code(meshmem::import))]
pub struct ImportError {
    /// File path as given.
    pub file: String,
    /// 1-based line (1 when the problem concerns the whole file).
    pub line: u64,
    /// 1-based column.
    pub column: u64,
    /// What is wrong.
    pub message: String,
    /// The expected form.
    #[help]
    pub expected: Option<String>,
}

impl ImportError {
    /// A problem at `line`:`column` of `file` (0 for unknown becomes 1).
    pub fn at(
        file: &Path,
        line: u64,
        column: u64,
        message: impl Into<String>,
        expected: impl Into<String>,
    ) -> Self {
        let expected: String = expected.into();
        ImportError {
            file: file.display().to_string(),
            line: line.max(1),
            column: column.max(1),
            message: message.into(),
            expected: (!expected.is_empty()).then_some(expected),
        }
    }

    /// A problem with the file as a whole.
    pub fn file(file: &Path, message: impl Into<String>, expected: impl Into<String>) -> Self {
        Self::at(file, 1, 1, message, expected)
    }
}
