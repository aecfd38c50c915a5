//! A drill session: the simulated cluster at the decision point, queried by the
//! trainee's commands; time moves only when the trainee says `wait`.
//!
//! The session steps replica 0 of the drill's world to the decision point one scrape
//! interval at a time, so that container logs can be derived from the state as it
//! goes (the same run as stepping through at once). A command line is split like a
//! shell's (`shlex`), may be piped into `grep`/`rg`, `head` and `tail`, and gets the
//! same output whether typed or replayed from a file.

use std::fmt::Write as _;

use super::debrief::Answer;
use super::record::DrillRecorder;
use super::render::{self, Scope, View, describe, events, istioctl, logs::LogBook, metrics, pods};
use crate::engine::SimTime;
use crate::model::World;
use crate::model::snapshot::ContainerStatus;
use crate::runner;
use crate::scenario::Scenario;
use crate::scenario::compile::drill::{DecisionPoint, DrillConfig};

/// One command the trainee typed.
#[derive(Clone, Debug, PartialEq)]
pub struct TranscriptEntry {
    /// Simulated time when it was typed.
    pub sim: SimTime,
    /// Wall time since the session started, ms (`None` for a replayed script).
    pub wall_ms: Option<u64>,
    /// The line.
    pub command: String,
}

/// What a command leads to.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Keep going.
    Continue,
    /// The trainee chose an option.
    Chose(Answer),
    /// The trainee left without choosing.
    Quit,
}

/// The commands, for help and tab completion.
pub const COMMANDS: [&str; 10] = [
    "kubectl", "istioctl", "query", "wait", "options", "hint", "choose", "page", "help", "quit",
];

/// An interactive drill on replica 0.
pub struct Session<'s> {
    scenario: &'s Scenario,
    drill: &'s DrillConfig,
    world: World<'s, DrillRecorder>,
    /// When the decision point was reached.
    pub decided_at: SimTime,
    logs: LogBook,
    hints: usize,
    /// Every command so far.
    pub transcript: Vec<TranscriptEntry>,
    istiod: Option<String>,
    vpas: Vec<(String, String)>,
}

impl<'s> Session<'s> {
    /// Steps replica 0 to the decision point.
    pub fn start(scenario: &'s Scenario, drill: &'s DrillConfig) -> Result<Self, String> {
        let cfg = &scenario.variants[drill.variant].config;
        let rec = DrillRecorder::new(Some(drill.decision.clone()), true, None);
        let world = runner::world(scenario, drill.variant, 0, rec);
        let istiod = cfg
            .control_plane
            .as_ref()
            .map(|cp| cfg.workloads[cp.istiod.workload].name.clone());
        let vpas = cfg
            .vpa
            .iter()
            .map(|v| {
                (
                    cfg.workloads[v.workload].name.clone(),
                    format!("{:?}", v.mode),
                )
            })
            .collect();
        let mut s = Session {
            scenario,
            drill,
            world,
            decided_at: SimTime::ZERO,
            logs: LogBook::default(),
            hints: 0,
            transcript: Vec::new(),
            istiod,
            vpas,
        };
        let end = s.world.end();
        let step = cfg.scrape_interval;
        loop {
            let now = s.world.now();
            let reached = match &drill.decision {
                DecisionPoint::At(t) => {
                    let r = s.world.run_until((now + step).min(*t));
                    (r >= *t).then_some(r)
                }
                DecisionPoint::Trigger { .. } => {
                    let r = s
                        .world
                        .step_until((now + step).min(end), |rec| rec.triggered());
                    s.world.recorder().triggered().then_some(r)
                }
            };
            s.observe();
            if let Some(t) = reached {
                s.decided_at = t;
                return Ok(s);
            }
            if s.world.now() >= end {
                return Err(format!(
                    "the decision point ({}) never came within the run in replica 0",
                    super::debrief::decision_text(&drill.decision)
                ));
            }
        }
    }

    fn observe(&mut self) {
        let snap = self.world.snapshot();
        self.logs.observe(&snap, &self.world.recorder().events);
    }

    /// The simulated time now.
    pub fn now(&self) -> SimTime {
        self.world.now()
    }

    /// The page, as the trainee first sees it.
    pub fn page(&self) -> String {
        let d = self.drill;
        let mut out = String::new();
        let _ = writeln!(out, "=== {} ===", d.title);
        let _ = writeln!(
            out,
            "PAGE [{}] {} — {} ({} into the incident)",
            d.page.severity.to_uppercase(),
            d.page.alert,
            render::format::rfc1123(self.now()),
            crate::report::human_time(self.now())
        );
        if !d.page.summary.is_empty() {
            let _ = writeln!(out, "  {}", d.page.summary);
        }
        let _ = writeln!(out, "\nQuestion: {}", d.question);
        out += &self.options();
        let _ = writeln!(
            out,
            "\nYou are on the cluster (namespace {}). Type `help` for the commands; `choose X --reason \"...\"` to decide.",
            d.namespace
        );
        out
    }

    fn options(&self) -> String {
        let mut out = String::new();
        for o in &self.drill.options {
            let _ = writeln!(out, "  {}) {}", o.name, o.text);
        }
        out
    }

    /// The prompt, with the simulated time.
    pub fn prompt(&self) -> String {
        format!(
            "[{} {}] $ ",
            self.drill.namespace,
            crate::report::human_time(self.now())
        )
    }

    /// Runs one command line; returns its output and what follows.
    pub fn execute(&mut self, line: &str, wall_ms: Option<u64>) -> (String, Outcome) {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            return (String::new(), Outcome::Continue);
        }
        self.transcript.push(TranscriptEntry {
            sim: self.now(),
            wall_ms,
            command: line.to_string(),
        });
        let Some(words) = shlex::split(line) else {
            return ("error: unbalanced quotes\n".into(), Outcome::Continue);
        };
        let mut stages = words.split(|w| w == "|");
        let command: Vec<&str> = stages
            .next()
            .unwrap_or_default()
            .iter()
            .map(String::as_str)
            .collect();
        let (out, outcome) = match self.dispatch(&command) {
            Ok(r) => r,
            Err(e) => (ensure_newline(e), Outcome::Continue),
        };
        let mut out = out;
        for stage in stages {
            out = match filter(&out, stage) {
                Ok(o) => o,
                Err(e) => ensure_newline(e),
            };
        }
        (out, outcome)
    }

    fn dispatch(&mut self, w: &[&str]) -> Result<(String, Outcome), String> {
        let done = |s: String| Ok((s, Outcome::Continue));
        match w {
            [] => done(String::new()),
            ["kubectl" | "k", rest @ ..] => done(self.kubectl(rest)?),
            ["istioctl", rest @ ..] => done(self.istioctl(rest)?),
            ["query" | "promql", rest @ ..] if !rest.is_empty() => {
                let snap = self.world.snapshot();
                let view = self.view(&snap);
                done(metrics::query(&view, &rest.join(" "))?)
            }
            ["wait", d] => done(self.wait(d)?),
            ["options"] => done(self.options()),
            ["page"] => done(self.page()),
            ["hint"] => done(self.hint()),
            ["help"] => done(HELP.to_string()),
            ["quit" | "exit"] => Ok((String::new(), Outcome::Quit)),
            ["choose", rest @ ..] => self.choose(rest),
            [cmd, ..] => Err(format!("{cmd}: command not found (type `help`)")),
        }
    }

    fn choose(&self, rest: &[&str]) -> Result<(String, Outcome), String> {
        let mut name = None;
        let mut reason = String::new();
        let mut it = rest.iter();
        while let Some(a) = it.next() {
            if let Some(r) = a.strip_prefix("--reason=") {
                reason = r.to_string();
            } else if *a == "--reason" {
                reason = it
                    .next()
                    .ok_or("choose: --reason needs a text")?
                    .to_string();
            } else if name.is_none() {
                name = Some(*a);
            } else {
                return Err(format!(
                    "choose: unexpected `{a}`; usage: choose B --reason \"...\""
                ));
            }
        }
        let name = name.ok_or("usage: choose B --reason \"...\"")?;
        let option = self
            .drill
            .options
            .iter()
            .position(|o| o.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| format!("choose: no option `{name}` (see `options`)"))?;
        Ok((String::new(), Outcome::Chose(Answer { option, reason })))
    }

    fn hint(&mut self) -> String {
        match self.drill.hints.get(self.hints) {
            Some(h) => {
                self.hints += 1;
                format!("hint {}/{}: {h}\n", self.hints, self.drill.hints.len())
            }
            None => "no more hints\n".into(),
        }
    }

    fn wait(&mut self, d: &str) -> Result<String, String> {
        let d = crate::scenario::duration::parse_duration(d).map_err(|e| format!("wait: {e}"))?;
        let end = self.world.end();
        let target = (self.now() + d).min(end);
        let step = self.scenario.variants[self.drill.variant]
            .config
            .scrape_interval;
        while self.now() < target {
            let next = (self.now() + step).min(target);
            self.world.run_until(next);
            self.observe();
        }
        let mut out = format!(
            "now {} into the incident ({})\n",
            crate::report::human_time(self.now()),
            render::format::rfc1123(self.now())
        );
        if self.now() >= end {
            out += "(the simulation ends here)\n";
        }
        Ok(out)
    }

    fn view<'a>(&'a self, snap: &'a crate::model::snapshot::ClusterSnapshot) -> View<'a> {
        let rec = self.world.recorder();
        View {
            snap,
            events: &rec.events,
            scrapes: &rec.scrapes,
            slo: &rec.slo,
            slo_target: self.scenario.variants[self.drill.variant].config.slo_target,
            namespace: &self.drill.namespace,
            istiod: self.istiod.as_deref(),
            logs: &self.logs,
        }
    }

    fn kubectl(&self, args: &[&str]) -> Result<String, String> {
        let a = Args::parse(args)?;
        let snap = self.world.snapshot();
        let v = self.view(&snap);
        let scope = if a.all {
            Scope::All
        } else {
            Scope::Namespace(
                a.namespace
                    .clone()
                    .unwrap_or_else(|| self.drill.namespace.clone()),
            )
        };
        let pos: Vec<&str> = a.positional.iter().map(String::as_str).collect();
        match pos.as_slice() {
            ["get", kinds, rest @ ..] => {
                let mut out = String::new();
                let (kinds, inline_name) = match kinds.split_once('/') {
                    Some((k, n)) => (k, Some(n)),
                    None => (*kinds, None),
                };
                let name = inline_name.or(rest.first().copied());
                for (i, kind) in kinds.split(',').enumerate() {
                    if i > 0 {
                        out.push('\n');
                    }
                    out += &match kind {
                        "pods" | "pod" | "po" => {
                            pods::get_pods(&v, &scope, name, a.output.as_deref() == Some("wide"))?
                        }
                        "deploy" | "deployment" | "deployments" | "deploy.apps" => {
                            pods::get_deploy(&v, &scope)
                        }
                        "hpa" | "horizontalpodautoscaler" | "horizontalpodautoscalers" => {
                            pods::no_resources(&scope)
                        }
                        "vpa" | "verticalpodautoscaler" | "verticalpodautoscalers" => {
                            pods::get_vpa(&v, &scope, &self.vpas)
                        }
                        "events" | "event" | "ev" => {
                            events::get_events(&v, &scope, a.sort_by.as_deref())?
                        }
                        "nodes" | "node" | "no" => get_nodes(&v),
                        other => {
                            return Err(format!(
                                "error: the server doesn't have a resource type \"{other}\""
                            ));
                        }
                    };
                }
                Ok(out)
            }
            ["describe", kind, rest @ ..] => {
                let (kind, inline_name) = match kind.split_once('/') {
                    Some((k, n)) => (k, Some(n)),
                    None => (*kind, None),
                };
                let name = inline_name.or(rest.first().copied());
                match kind {
                    "pod" | "pods" | "po" => describe::describe_pods(&v, &scope, name),
                    "node" | "nodes" | "no" => describe::describe_node(&v, name),
                    other => Err(format!(
                        "error: the drill describes pods and nodes, not \"{other}\""
                    )),
                }
            }
            ["logs", target] => {
                let p = self.resolve_pod(&v, &scope, target)?;
                self.logs_of(p, &a)
            }
            ["top", kind, rest @ ..] if matches!(*kind, "pod" | "pods" | "po") => {
                pods::top_pods(&v, &scope, rest.first().copied(), a.containers)
            }
            ["exec", pod, ..] => {
                if a.after_dash.iter().any(|w| w.contains("stats")) {
                    istioctl::envoy_stats(&v, &scope, pod, None)
                } else {
                    Err("error: the drill's exec runs only Envoy's stats: kubectl exec POD -c istio-proxy -- pilot-agent request GET stats".into())
                }
            }
            [verb, ..] if MUTATING.contains(verb) => Err(format!(
                "kubectl {verb}: in this drill you act by choosing an option (`options`, then `choose X --reason \"...\"`)"
            )),
            [verb, ..] => Err(format!(
                "error: kubectl {verb} is not available in this drill (type `help`)"
            )),
            [] => Err("kubectl: a command is needed (type `help`)".into()),
        }
    }

    fn resolve_pod<'v>(
        &self,
        v: &'v View<'_>,
        scope: &Scope,
        target: &str,
    ) -> Result<&'v crate::model::snapshot::PodSnapshot, String> {
        if let Some(w) = target
            .strip_prefix("deploy/")
            .or_else(|| target.strip_prefix("deployment/"))
        {
            return v
                .pods(scope)
                .into_iter()
                .find(|p| p.workload == w && !p.terminating)
                .ok_or_else(|| format!("error: no pods of deployment {w}"));
        }
        v.pod(scope, target)
    }

    fn logs_of(&self, p: &crate::model::snapshot::PodSnapshot, a: &Args) -> Result<String, String> {
        let mut out = String::new();
        let c = match &a.container {
            Some(c) => {
                p.containers.iter().find(|k| &k.name == c).ok_or_else(|| {
                    format!("error: container {c} is not valid for pod {}", p.name)
                })?
            }
            None => {
                let c = &p.containers[0];
                if p.containers.len() > 1 {
                    let names: Vec<&str> = p.containers.iter().map(|k| k.name.as_str()).collect();
                    let _ = writeln!(
                        out,
                        "Defaulted container \"{}\" out of: {}",
                        c.name,
                        names.join(", ")
                    );
                }
                c
            }
        };
        let run = if a.previous {
            if c.restart_count == 0 {
                return Err(format!(
                    "Error from server (BadRequest): previous terminated container \"{}\" in pod \"{}\" not found",
                    c.name, p.name
                ));
            }
            c.restart_count - 1
        } else {
            if matches!(
                c.state,
                ContainerStatus::Waiting {
                    reason: "ContainerCreating" | "PodInitializing",
                    ..
                }
            ) {
                return Err(format!(
                    "Error from server (BadRequest): container \"{}\" in pod \"{}\" is waiting to start: ContainerCreating",
                    c.name, p.name
                ));
            }
            c.restart_count
        };
        out += &self.logs.render(&p.name, &c.name, run, a.tail);
        Ok(out)
    }

    fn istioctl(&self, args: &[&str]) -> Result<String, String> {
        let a = Args::parse(args)?;
        let snap = self.world.snapshot();
        let v = self.view(&snap);
        let scope = Scope::Namespace(
            a.namespace
                .clone()
                .unwrap_or_else(|| self.drill.namespace.clone()),
        );
        let pos: Vec<&str> = a.positional.iter().map(String::as_str).collect();
        match pos.as_slice() {
            ["proxy-config" | "pc", "bootstrap" | "b", pod] => istioctl::bootstrap(&v, &scope, pod),
            ["proxy-config" | "pc", "cluster" | "clusters" | "c", pod] => istioctl::clusters(&v, &scope, pod),
            ["proxy-status" | "ps", ..] => Ok(istioctl::proxy_status(&v)),
            ["x" | "experimental", "envoy-stats", pod, rest @ ..] => {
                istioctl::envoy_stats(&v, &scope, pod, rest.first().copied())
            }
            _ => Err("istioctl: available: proxy-config bootstrap|cluster POD, proxy-status, x envoy-stats POD".into()),
        }
    }
}

/// `kubectl get nodes`.
fn get_nodes(v: &View<'_>) -> String {
    let rows: Vec<Vec<String>> = v
        .snap
        .nodes
        .iter()
        .map(|n| {
            let status = if n.memory_pressure {
                "Ready,MemoryPressure"
            } else {
                "Ready"
            };
            vec![
                n.name.clone(),
                status.into(),
                "<none>".into(),
                "v1.29.2".into(),
            ]
        })
        .collect();
    super::table::render(&["NAME", "STATUS", "ROLES", "VERSION"], &rows)
}

const MUTATING: [&str; 11] = [
    "scale", "set", "patch", "apply", "edit", "delete", "rollout", "annotate", "label", "create",
    "replace",
];

/// kubectl's flags that the drill understands.
#[derive(Debug, Default)]
struct Args {
    positional: Vec<String>,
    namespace: Option<String>,
    all: bool,
    output: Option<String>,
    container: Option<String>,
    previous: bool,
    containers: bool,
    sort_by: Option<String>,
    tail: Option<usize>,
    after_dash: Vec<String>,
}

impl Args {
    fn parse(words: &[&str]) -> Result<Args, String> {
        let mut a = Args::default();
        let mut it = words.iter();
        while let Some(w) = it.next() {
            if *w == "--" {
                a.after_dash = it.map(|s| s.to_string()).collect();
                break;
            }
            let (flag, inline) = match w.split_once('=') {
                Some((f, v)) if w.starts_with('-') => (f, Some(v.to_string())),
                _ => (*w, None),
            };
            let mut value = |name: &str| -> Result<String, String> {
                match &inline {
                    Some(v) => Ok(v.clone()),
                    None => it
                        .next()
                        .map(|s| s.to_string())
                        .ok_or_else(|| format!("error: flag needs an argument: {name}")),
                }
            };
            match flag {
                "-n" | "--namespace" => a.namespace = Some(value(flag)?),
                "-A" | "--all-namespaces" => a.all = true,
                "-o" | "--output" => a.output = Some(value(flag)?),
                "-c" | "--container" => a.container = Some(value(flag)?),
                "-p" | "--previous" => a.previous = true,
                "--containers" => a.containers = true,
                "--sort-by" => a.sort_by = Some(value(flag)?),
                "--tail" => {
                    let v = value(flag)?;
                    a.tail =
                        Some(v.parse().map_err(|_| {
                            format!("error: invalid argument \"{v}\" for \"--tail\"")
                        })?);
                }
                "-l" | "--selector" => {
                    value(flag)?;
                }
                f if f.starts_with('-') => return Err(format!("error: unknown flag: {f}")),
                _ => a.positional.push(w.to_string()),
            }
        }
        if let Some(o) = &a.output
            && o != "wide"
        {
            return Err(format!(
                "error: the drill prints tables (-o wide), not `-o {o}`"
            ));
        }
        Ok(a)
    }
}

fn ensure_newline(mut s: String) -> String {
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s
}

/// `| grep PATTERN` (also `rg`, `-i`, `-v`, alternatives with `|`), `| head -n N`,
/// `| tail -n N`.
fn filter(text: &str, stage: &[String]) -> Result<String, String> {
    let words: Vec<&str> = stage.iter().map(String::as_str).collect();
    let count = |w: &[&str]| -> Result<usize, String> {
        match w {
            [] => Ok(10),
            ["-n", n] => n
                .parse()
                .map_err(|_| format!("invalid number of lines: {n}")),
            [n] if n.starts_with('-') => n[1..].parse().map_err(|_| format!("invalid option {n}")),
            _ => Err("usage: head|tail [-n N]".into()),
        }
    };
    let lines: Vec<&str> = text.lines().collect();
    let picked: Vec<&str> = match words.as_slice() {
        ["grep" | "rg", rest @ ..] => {
            let ci = rest.contains(&"-i");
            let invert = rest.contains(&"-v");
            // `-A N` or `-AN`: lines of context after each match.
            let after = match rest.iter().position(|w| w.starts_with("-A")) {
                Some(i) => match &rest[i][2..] {
                    "" => rest.get(i + 1).and_then(|n| n.parse::<usize>().ok()),
                    n => n.parse::<usize>().ok(),
                }
                .ok_or("grep: -A needs a number of lines")?,
                None => 0,
            };
            let mut skip_next = false;
            let pattern = rest
                .iter()
                .find(|w| {
                    let take = !skip_next && !w.starts_with('-');
                    skip_next = **w == "-A";
                    take
                })
                .ok_or("usage: grep [-i] [-v] [-A N] PATTERN")?;
            let alts: Vec<String> = pattern
                .split(['|'])
                .map(|p| p.trim_start_matches('\\').to_string())
                .map(|p| if ci { p.to_lowercase() } else { p })
                .collect();
            let hit = |l: &str| {
                let l = if ci { l.to_lowercase() } else { l.to_string() };
                alts.iter().any(|p| l.contains(p.as_str())) != invert
            };
            let mut keep = vec![false; lines.len()];
            for (i, l) in lines.iter().enumerate() {
                if hit(l) {
                    for k in keep.iter_mut().skip(i).take(after + 1) {
                        *k = true;
                    }
                }
            }
            lines
                .into_iter()
                .zip(keep)
                .filter_map(|(l, k)| k.then_some(l))
                .collect()
        }
        ["head", rest @ ..] => {
            let n = count(rest)?;
            lines.into_iter().take(n).collect()
        }
        ["tail", rest @ ..] => {
            let n = count(rest)?;
            let skip = lines.len().saturating_sub(n);
            lines.into_iter().skip(skip).collect()
        }
        [other, ..] => {
            return Err(format!(
                "{other}: only grep, rg, head and tail can follow `|` here"
            ));
        }
        [] => return Err("syntax error near `|`".into()),
    };
    Ok(picked.iter().map(|l| format!("{l}\n")).collect())
}

const HELP: &str = "\
commands (at the current simulated time; append `| grep X`, `| head -n N`, `| tail -n N`):
  kubectl get pods [-n NS|-A] [-o wide]          kubectl describe pod[s] [NAME]
  kubectl logs NAME|deploy/NAME [-c C] [--previous] [--tail=N]
  kubectl top pod [NAME] [--containers]          kubectl get events [--sort-by=.lastTimestamp]
  kubectl get deploy,hpa,vpa                     kubectl get nodes | kubectl describe node [NAME]
  kubectl exec POD -c istio-proxy -- pilot-agent request GET stats
  istioctl proxy-config bootstrap|cluster POD    istioctl proxy-status
  istioctl x envoy-stats POD [FILTER]
  query working_set|restarts|503|burn            query 'container_memory_working_set_bytes{container=\"istio-proxy\"}[30m]'
  wait 2m          let simulated time pass (it moves only when you say)
  options          the options again          page     the page again
  hint             a hint                      choose B --reason \"...\"   decide (ends the drill)
  help             this text                   quit     leave without deciding
";

/// The words completion offers after `line`'s last complete word.
pub fn completions(drill: &DrillConfig, pods: &[String], line: &str) -> Vec<String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let done = if line.ends_with(' ') {
        words.len()
    } else {
        words.len().saturating_sub(1)
    };
    let prev: Vec<&str> = words[..done].to_vec();
    let list: Vec<String> = match prev.as_slice() {
        [] => COMMANDS.iter().map(|s| s.to_string()).collect(),
        ["kubectl"] => ["get", "describe", "logs", "top", "exec"]
            .map(String::from)
            .to_vec(),
        ["kubectl", "get"] => ["pods", "events", "deploy,hpa,vpa", "nodes"]
            .map(String::from)
            .to_vec(),
        ["kubectl", "describe"] => ["pod", "pods", "node"].map(String::from).to_vec(),
        ["kubectl", "top"] => vec!["pod".into()],
        ["istioctl"] => ["proxy-config", "proxy-status", "x"]
            .map(String::from)
            .to_vec(),
        ["istioctl", "proxy-config"] => ["bootstrap", "cluster"].map(String::from).to_vec(),
        ["istioctl", "x"] => vec!["envoy-stats".into()],
        ["query"] => metrics::NAMED.map(String::from).to_vec(),
        ["choose"] => drill.options.iter().map(|o| o.name.clone()).collect(),
        ["wait"] => ["30s", "1m", "2m", "5m", "10m"].map(String::from).to_vec(),
        [.., "-c"] => vec!["istio-proxy".into()],
        _ => {
            let mut l = pods.to_vec();
            l.extend(["--containers", "--previous", "-c", "-o", "wide", "-n"].map(String::from));
            l
        }
    };
    let partial = if line.ends_with(' ') {
        ""
    } else {
        words.last().copied().unwrap_or("")
    };
    list.into_iter()
        .filter(|c| c.starts_with(partial))
        .collect()
}

impl Session<'_> {
    /// Pod names now, for completion.
    pub fn pod_names(&self) -> Vec<String> {
        self.world
            .snapshot()
            .pods
            .into_iter()
            .map(|p| p.name)
            .collect()
    }
}

impl<'s> Session<'s> {
    /// The drill being run.
    pub fn drill_config(&self) -> &'s DrillConfig {
        self.drill
    }
}

impl Session<'_> {
    /// The key events of replica 0 up to now (the trainer's evidence timeline).
    pub fn timeline(&self) -> String {
        use crate::model::EventKind as K;
        let shown = [
            K::OomKilled,
            K::Crashed,
            K::Action,
            K::AlertFiring,
            K::Evicted,
            K::PartialConfig,
            K::ConfigRestored,
            K::PolicyViolation,
            K::FailedScheduling,
        ];
        let events: Vec<_> = self
            .world
            .recorder()
            .events
            .iter()
            .filter(|e| shown.contains(&e.kind))
            .collect();
        let mut out = String::new();
        const MAX: usize = 40;
        for e in events.iter().take(MAX) {
            let who = match (e.pod.as_str(), e.container.as_str()) {
                ("", _) => String::new(),
                (p, "") => format!(" {p}"),
                (p, c) => format!(" {p}/{c}"),
            };
            let _ = writeln!(
                out,
                "  {:>8}  {}{who}: {}",
                crate::report::human_time(e.time),
                e.kind.as_str(),
                if e.message.is_empty() {
                    &e.reason
                } else {
                    &e.message
                }
            );
        }
        if events.len() > MAX {
            let _ = writeln!(out, "  … and {} more", events.len() - MAX);
        }
        out
    }
}
