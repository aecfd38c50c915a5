//! Errors in scenario files: always the file, line and column, what is wrong, and the
//! form that was expected.

use std::path::{Path, PathBuf};

use miette::{Diagnostic, NamedSource, SourceSpan};
use serde_saphyr::Location;

/// A problem found in a scenario, before the file name is known.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    /// Where (may be unknown for values a variant set).
    pub at: Location,
    /// What is wrong.
    pub message: String,
    /// The form that would be right.
    pub expected: String,
}

impl Problem {
    /// A problem at `at`.
    pub fn new(at: Location, message: impl Into<String>, expected: impl Into<String>) -> Self {
        Problem {
            at,
            message: message.into(),
            expected: expected.into(),
        }
    }

    /// Uses `fallback` when the problem has no location of its own.
    pub fn or_at(mut self, fallback: Location) -> Self {
        if self.at.line() == 0 {
            self.at = fallback;
        }
        self
    }
}

/// A scenario that cannot be run: the file, the place, and what to write instead.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{file}:{line}:{column}: {message}")]
#[diagnostic(code(meshmem::scenario))]
pub struct InvalidScenario {
    /// File path as given.
    pub file: String,
    /// 1-based line.
    pub line: u64,
    /// 1-based column.
    pub column: u64,
    /// What is wrong.
    pub message: String,
    /// The expected form.
    #[help]
    pub expected: Option<String>,
    #[source_code]
    src: NamedSource<String>,
    #[label("here")]
    span: Option<SourceSpan>,
}

impl InvalidScenario {
    /// Places `problem` in `file` whose text is `source`.
    pub fn new(file: &Path, source: &str, problem: Problem) -> Self {
        let (line, column) = match (problem.at.line(), problem.at.column()) {
            (0, _) => (1, 1),
            (l, c) => (l, c.max(1)),
        };
        let span = problem.at.span();
        let span = span.byte_offset().map(|offset| {
            let len = span.byte_len().unwrap_or(1).max(1);
            SourceSpan::from((offset as usize, len as usize))
        });
        let name = file.display().to_string();
        InvalidScenario {
            file: name.clone(),
            line,
            column,
            message: problem.message,
            expected: (!problem.expected.is_empty()).then_some(problem.expected),
            src: NamedSource::new(name, source.to_string()),
            span,
        }
    }
}

/// Why a scenario could not be loaded.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("{path}: cannot read scenario: {source}")]
    Read {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file was read but is not a valid scenario.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Invalid(Box<InvalidScenario>),
}
