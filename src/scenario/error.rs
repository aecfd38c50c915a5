//! Errors in scenario files: always the file, line and column, what is wrong, and the
//! form that was expected.

use std::path::{Path, PathBuf};

use miette::{Diagnostic, NamedSource, SourceSpan};
use serde_saphyr::Location;

/// Where a problem is in a file: 1-based line and column (0 when unknown), and the
/// bytes it covers when known.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Place {
    /// 1-based line; 0 when unknown.
    pub line: u64,
    /// 1-based column, in characters.
    pub column: u64,
    /// Byte offset in the file.
    pub offset: Option<usize>,
    /// Bytes covered (at least 1 when drawn).
    pub len: usize,
}

impl Place {
    /// No known place.
    pub const UNKNOWN: Place = Place {
        line: 0,
        column: 0,
        offset: None,
        len: 0,
    };

    /// The place of byte `offset` (covering `len` bytes) in `text`.
    pub fn at_byte(text: &str, offset: usize, len: usize) -> Place {
        let offset = offset.min(text.len());
        let before = text.get(..offset).unwrap_or("");
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        Place {
            line: before.matches('\n').count() as u64 + 1,
            column: before[line_start..].chars().count() as u64 + 1,
            offset: Some(offset),
            len,
        }
    }
}

impl From<Location> for Place {
    fn from(at: Location) -> Place {
        let span = at.span();
        Place {
            line: at.line(),
            column: at.column(),
            offset: span.byte_offset().map(|o| o as usize),
            len: span.byte_len().unwrap_or(1) as usize,
        }
    }
}

/// A problem found in a scenario, before the file name is known.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    /// Where (may be unknown for values a variant set).
    pub at: Place,
    /// What is wrong.
    pub message: String,
    /// The form that would be right.
    pub expected: String,
}

impl Problem {
    /// A problem at `at`.
    pub fn new(
        at: impl Into<Place>,
        message: impl Into<String>,
        expected: impl Into<String>,
    ) -> Self {
        Problem {
            at: at.into(),
            message: message.into(),
            expected: expected.into(),
        }
    }

    /// Uses `fallback` when the problem has no location of its own.
    pub fn or_at(mut self, fallback: impl Into<Place>) -> Self {
        if self.at.line == 0 {
            self.at = fallback.into();
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
        let (line, column) = match (problem.at.line, problem.at.column) {
            (0, _) => (1, 1),
            (l, c) => (l, c.max(1)),
        };
        let span = problem
            .at
            .offset
            .filter(|&o| o <= source.len())
            .map(|offset| {
                let len = problem.at.len.max(1).min(source.len() - offset);
                SourceSpan::from((offset, len))
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
    #[error("{path}: cannot read scenario")]
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
