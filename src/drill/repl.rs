//! The interactive terminal: line editing, history and tab completion (`rustyline`,
//! which works over SSH as any terminal does), around a [`Session`].

use std::borrow::Cow;
use std::io::Write;
use std::time::Instant;

use rustyline::completion::Completer;
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::Validator;
use rustyline::{Context, Editor, Helper};

use super::session::{Outcome, Session, completions};
use crate::scenario::compile::drill::DrillConfig;

/// Completes commands, pod names and option names.
struct DrillHelper {
    drill: DrillConfig,
    pods: Vec<String>,
}

impl Completer for DrillHelper {
    type Candidate = String;
    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        let line = &line[..pos];
        let start = line.rfind(' ').map_or(0, |i| i + 1);
        Ok((start, completions(&self.drill, &self.pods, line)))
    }
}

impl Hinter for DrillHelper {
    type Hint = String;
}

impl Highlighter for DrillHelper {
    fn highlight_prompt<'b, 's: 'b, 'p: 'b>(
        &'s self,
        prompt: &'p str,
        _default: bool,
    ) -> Cow<'b, str> {
        Cow::Borrowed(prompt)
    }
}

impl Validator for DrillHelper {}

impl Helper for DrillHelper {}

/// Reads commands from the terminal until the trainee chooses or quits.
pub fn run(session: &mut Session<'_>, out: &mut dyn Write) -> Result<Outcome, String> {
    let mut editor: Editor<DrillHelper, DefaultHistory> =
        Editor::new().map_err(|e| format!("cannot open the terminal: {e}"))?;
    editor.set_helper(Some(DrillHelper {
        drill: session_drill(session),
        pods: session.pod_names(),
    }));
    let started = Instant::now();
    loop {
        if let Some(h) = editor.helper_mut() {
            h.pods = session.pod_names();
        }
        let line = match editor.readline(&session.prompt()) {
            Ok(l) => l,
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => return Ok(Outcome::Quit),
            Err(e) => return Err(format!("reading the terminal: {e}")),
        };
        let _ = editor.add_history_entry(line.as_str());
        let wall = started.elapsed().as_millis() as u64;
        let (text, outcome) = session.execute(&line, Some(wall));
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
        if outcome != Outcome::Continue {
            return Ok(outcome);
        }
    }
}

fn session_drill(s: &Session<'_>) -> DrillConfig {
    s.drill_config().clone()
}
