//! `meshmem drill`: run a scenario's `drill:` — interactively, from a script of
//! commands, or with the answer given (`--answer B --json`) — and debrief.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use super::AppError;
use crate::cli::DrillArgs;
use crate::drill::debrief::{self, Answer};
use crate::drill::report::{self as page, Charted};
use crate::drill::score::{self, Verdict};
use crate::drill::session::{Outcome, Session, TranscriptEntry};
use crate::drill::{DrillConfig, repl};
use crate::scenario::{self, Scenario};

/// Runs the drill `args` names.
pub fn execute(args: &DrillArgs, out: &mut dyn Write) -> Result<(), AppError> {
    let (mut scenario, drill) = scenario::load_drill(&args.path)?;
    let Some(drill) = drill else {
        return Err(AppError::Usage(format!(
            "{}: the scenario has no `drill:` section",
            args.path.display()
        )));
    };
    if let Some(seed) = args.seed {
        scenario.seed = seed;
    }
    let replicas = args
        .replicas
        .or(drill.scoring.replicas)
        .unwrap_or(scenario.replicas);
    let threads = args.threads.map(|t| t as usize);
    let given = match &args.answer {
        Some(a) => Some(option_index(&drill, a)?),
        None => None,
    };
    if args.reveal {
        let v = verdict(&scenario, &drill, replicas, threads)?;
        let _ = out.write_all(reveal(&scenario, &drill, &v).as_bytes());
        if given.is_none() && args.commands.is_none() {
            return Ok(());
        }
    }
    // The session: typed, scripted, or skipped when the answer is given alone.
    let mut transcript = Vec::new();
    let mut answer = given.map(|option| Answer {
        option,
        reason: args.reason.clone().unwrap_or_default(),
    });
    let interactive = args.commands.is_none() && answer.is_none();
    if !interactive && args.commands.is_none() {
        // --answer alone: no session.
    } else {
        let mut session = Session::start(&scenario, &drill).map_err(AppError::Usage)?;
        let show = !args.json;
        if show {
            let _ = out.write_all(session.page().as_bytes());
        }
        let outcome = match &args.commands {
            Some(file) => replay(&mut session, file, show, out)?,
            None if std::io::stdin().is_terminal() => {
                repl::run(&mut session, out).map_err(AppError::Usage)?
            }
            None => replay_lines(&mut session, std::io::stdin().lock(), show, out)?,
        };
        transcript = session.transcript.clone();
        if let Outcome::Chose(a) = outcome
            && answer.is_none()
        {
            answer = Some(a);
        }
    }
    let Some(answer) = answer else {
        if !args.json {
            let _ = writeln!(out, "no option chosen: no debrief");
        }
        return Ok(());
    };
    let v = verdict(&scenario, &drill, replicas, threads)?;
    let json = debrief::json(&scenario, &drill, &v, Some(&answer), &transcript);
    let report = if args.no_report {
        None
    } else {
        Some(write_report(
            args,
            &scenario,
            &drill,
            &v,
            &answer,
            &transcript,
            &json,
        )?)
    };
    if args.json {
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&json).unwrap_or_default()
        );
    } else {
        let _ = writeln!(
            out,
            "\n=== Debrief ===\n{}\n",
            debrief::verdict_text(&v, &answer)
        );
        if !answer.reason.is_empty() {
            let _ = writeln!(out, "Your reason: {}\n", answer.reason);
        }
        let _ = out.write_all(debrief::ranking_text(&drill, &v).as_bytes());
        if !transcript.is_empty() {
            let _ = writeln!(out, "\nYour session:\n{}", transcript_text(&transcript));
        }
        if let Some(r) = report {
            let _ = writeln!(
                out,
                "debrief (charts of the chosen and the best option): {}",
                r.display()
            );
        }
    }
    Ok(())
}

fn option_index(drill: &DrillConfig, name: &str) -> Result<usize, AppError> {
    drill
        .options
        .iter()
        .position(|o| o.name.eq_ignore_ascii_case(name))
        .ok_or_else(|| {
            let names: Vec<&str> = drill.options.iter().map(|o| o.name.as_str()).collect();
            AppError::Usage(format!(
                "--answer {name}: the drill's options are {}",
                names.join(", ")
            ))
        })
}

fn verdict(
    scenario: &Scenario,
    drill: &DrillConfig,
    replicas: u32,
    threads: Option<usize>,
) -> Result<Verdict, AppError> {
    score::score(scenario, drill, replicas, threads).map_err(AppError::Usage)
}

fn replay(
    session: &mut Session<'_>,
    file: &Path,
    show: bool,
    out: &mut dyn Write,
) -> Result<Outcome, AppError> {
    let f = std::fs::File::open(file).map_err(|e| {
        AppError::Usage(format!("{}: cannot read the commands: {e}", file.display()))
    })?;
    replay_lines(session, std::io::BufReader::new(f), show, out)
}

/// Runs each line as if typed (same output), echoing it after the prompt.
fn replay_lines(
    session: &mut Session<'_>,
    input: impl BufRead,
    show: bool,
    out: &mut dyn Write,
) -> Result<Outcome, AppError> {
    for line in input.lines() {
        let line = line.map_err(|e| AppError::Usage(format!("reading commands: {e}")))?;
        if show {
            let _ = writeln!(out, "{}{}", session.prompt(), line.trim());
        }
        let (text, outcome) = session.execute(&line, None);
        if show {
            let _ = out.write_all(text.as_bytes());
        }
        if outcome != Outcome::Continue {
            return Ok(outcome);
        }
    }
    Ok(Outcome::Quit)
}

fn transcript_text(t: &[TranscriptEntry]) -> String {
    t.iter()
        .map(|e| {
            let wall = e
                .wall_ms
                .map_or(String::new(), |ms| format!(" (+{}s wall)", ms / 1000));
            format!(
                "  [{}{wall}] {}",
                crate::report::human_time(e.sim),
                e.command
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The trainer's key: how the incident unfolds to the decision in replica 0, and the
/// scored options.
fn reveal(scenario: &Scenario, drill: &DrillConfig, v: &Verdict) -> String {
    let mut s = format!("=== Trainer's key: {} ===\n", drill.title);
    if let Ok(session) = Session::start(scenario, drill) {
        s += &format!(
            "evidence timeline (replica 0, to the decision at {}):\n",
            crate::report::human_time(session.decided_at)
        );
        s += &session.timeline();
    }
    s += "\n";
    s += &debrief::ranking_text(drill, v);
    s
}

#[allow(clippy::too_many_arguments)]
fn write_report(
    args: &DrillArgs,
    scenario: &Scenario,
    drill: &DrillConfig,
    v: &Verdict,
    answer: &Answer,
    transcript: &[TranscriptEntry],
    json: &serde_json::Value,
) -> Result<PathBuf, AppError> {
    let dir = args.out.join("drills").join(&scenario.name);
    let mut charted = Vec::new();
    let mut runs = Vec::new();
    let mut wanted = vec![(answer.option, "chosen")];
    if v.best != answer.option {
        wanted.push((v.best, "best"));
    } else {
        wanted[0].1 = "chosen, best";
    }
    let decided = v.nothing.replicas.first().and_then(|r| r.decided_at);
    for (o, tag) in &wanted {
        let (_, rec) = score::run_option(scenario, drill, Some(*o), 0, decided, true)
            .map_err(AppError::Usage)?;
        runs.push((
            format!("{} ({tag}): {}", v.options[*o].name, v.options[*o].text),
            rec,
        ));
    }
    for (title, rec) in &runs {
        if let Some(rec) = rec {
            charted.push(Charted {
                title: title.clone(),
                rec,
                decided_at: decided,
            });
        }
    }
    let html = page::html(
        &drill.title,
        &debrief::verdict_text(v, answer),
        &debrief::ranking_text(drill, v),
        &transcript_text(transcript),
        &charted,
    );
    let write = || -> std::io::Result<()> {
        std::fs::create_dir_all(&dir)?;
        for (name, bytes) in [
            ("report.html", html.into_bytes()),
            (
                "debrief.json",
                (serde_json::to_string_pretty(json).unwrap_or_default() + "\n").into_bytes(),
            ),
        ] {
            // Written whole under a temporary name, then renamed: never half a file.
            let tmp = dir.join(format!(".{name}.tmp"));
            std::fs::write(&tmp, bytes)?;
            std::fs::rename(&tmp, dir.join(name))?;
        }
        Ok(())
    };
    write().map_err(AppError::io(format!(
        "{}: writing the debrief",
        dir.display()
    )))?;
    Ok(dir.join("report.html"))
}
