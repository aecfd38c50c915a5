//! The `drill:` section: an incident drill run from the simulation (see `src/drill/`).
//!
//! The author writes the page, the decision point, the question and the options; never
//! the right answer. The best option is the one the simulation scores best.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use super::control_plane::Churn;
use super::timeline::{PeerAuthentication, Scale, SetResources, TemplateChange, WorkloadRef};
use crate::scenario::duration::Duration;

/// `drill:` at the top level of a scenario.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Drill {
    /// The drill's title ("Depth drill 02: sidecar OOM spiral").
    #[schemars(with = "String")]
    pub title: Spanned<String>,
    /// Namespace the workloads are shown in (default `default`).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub namespace: Option<Spanned<String>>,
    /// The scenario variant the incident happens in (default: the baseline).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub variant: Option<Spanned<String>>,
    /// The page as the on-call engineer receives it.
    pub page: Page,
    /// When the trainee must decide: options are applied then.
    pub decision: Decision,
    /// The decision question.
    pub question: String,
    /// The options, two or more.
    #[schemars(with = "Vec<DrillOption>")]
    pub options: Spanned<Vec<DrillOption>>,
    /// What the trainee should learn.
    #[serde(default)]
    pub learning_goal: String,
    /// What the trainee must answer (chosen option, commands, why not the others).
    #[serde(default)]
    pub candidate_requirements: Vec<String>,
    /// Hints, given one at a time by `hint`.
    #[serde(default)]
    pub hints: Vec<String>,
    /// How options are scored.
    #[serde(default)]
    pub scoring: Scoring,
}

/// `page:`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Page {
    /// The firing alert rule or the symptom, as it pages (`KubePodCrashLooping`).
    pub alert: String,
    /// Severity label (default `critical`).
    #[serde(default)]
    pub severity: Option<String>,
    /// The page's text.
    #[serde(default)]
    pub summary: String,
}

/// `decision:` exactly one of `at`, `oomKills`, `restarts`, `alertFiring`, `burnRate`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Decision {
    /// A fixed instant.
    #[serde(default)]
    #[schemars(with = "Option<Duration>")]
    pub at: Option<Spanned<Duration>>,
    /// The Nth OOM kill (1 = the first).
    #[serde(default)]
    #[schemars(with = "Option<u32>")]
    pub oom_kills: Option<Spanned<u32>>,
    /// The Nth container restart by the kubelet.
    #[serde(default)]
    #[schemars(with = "Option<u32>")]
    pub restarts: Option<Spanned<u32>>,
    /// An alert rule of the scenario starts firing.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub alert_firing: Option<Spanned<String>>,
    /// The error budget burns faster than this over a window.
    #[serde(default)]
    #[schemars(with = "Option<BurnRate>")]
    pub burn_rate: Option<Spanned<BurnRate>>,
    /// Count only kills or restarts of this container (`oomKills`, `restarts`).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub container: Option<Spanned<String>>,
    /// Ignore triggers before this instant.
    #[serde(default)]
    #[schemars(with = "Option<Duration>")]
    pub not_before: Option<Spanned<Duration>>,
}

/// `burnRate: {window: 5m, above: 6}`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BurnRate {
    /// `5m` or `1h`.
    pub window: Duration,
    /// Burn rate threshold (× budget).
    pub above: f64,
}

/// One option: timeline actions applied at the decision point, or a variant.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DrillOption {
    /// The option's letter or short name (`A`), as the trainee types it.
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// What it does, as the trainee reads it.
    pub text: String,
    /// Timeline actions applied at the decision point (offset by their `after`).
    #[serde(default)]
    pub actions: Option<Vec<DrillAction>>,
    /// A variant of the scenario: its timeline entries move to the decision point; a
    /// variant that sets values runs from the start instead (a counterfactual).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub variant: Option<Spanned<String>>,
}

/// A timeline entry without `at`: applied `after` the decision point.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DrillAction {
    /// Delay from the decision point (default 0).
    #[serde(default)]
    #[schemars(with = "Option<Duration>")]
    pub after: Option<Spanned<Duration>>,
    /// Name shown in events (default: the option's name).
    #[serde(default)]
    pub name: Option<String>,
    /// As in `timeline:`.
    #[serde(default)]
    pub helm_upgrade: Option<TemplateChange>,
    /// As in `timeline:`.
    #[serde(default)]
    pub set_resources: Option<SetResources>,
    /// As in `timeline:`.
    #[serde(default)]
    pub rollback: Option<WorkloadRef>,
    /// As in `timeline:`.
    #[serde(default)]
    pub scale: Option<Scale>,
    /// As in `timeline:`.
    #[serde(default)]
    pub peer_authentication: Option<PeerAuthentication>,
    /// As in `timeline:`.
    #[serde(default)]
    pub config_churn: Option<Churn>,
    /// As in `timeline:`.
    #[serde(default)]
    pub rollout_restart: Option<WorkloadRef>,
    /// As in `timeline:`.
    #[serde(default)]
    pub redis_config_set: Option<super::RedisConfigSet>,
    /// As in `timeline:`.
    #[serde(default)]
    pub dns_upstream: Option<super::DnsUpstream>,
}

/// `scoring:`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Scoring {
    /// How long after the decision options are judged (default: to the end of the run).
    #[serde(default)]
    #[schemars(with = "Option<Duration>")]
    pub horizon: Option<Spanned<Duration>>,
    /// `decision` (default) or `start`: judge from the start of the run, for drills
    /// whose options are counterfactual variants of an incident already over.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub from: Option<Spanned<String>>,
    /// Recovered = this long without burning budget faster than 1× and without an OOM
    /// kill or crash (default 5m).
    #[serde(default)]
    #[schemars(with = "Option<Duration>")]
    pub recovery_window: Option<Spanned<Duration>>,
    /// Weights of the score terms (lower scores are better).
    #[serde(default)]
    pub weights: Weights,
    /// Replicas per option (default: the scenario's `replicas`).
    #[serde(default)]
    #[schemars(with = "Option<u32>")]
    pub replicas: Option<Spanned<u32>>,
}

/// `weights:` of the score terms.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Weights {
    /// Per unit of mean burn rate over the judged window (× budget; default 1).
    #[serde(default)]
    #[schemars(with = "Option<f64>")]
    pub error_budget: Option<Spanned<f64>>,
    /// Per OOM kill (or heap crash) after the decision (default 1).
    #[serde(default)]
    #[schemars(with = "Option<f64>")]
    pub oom_kills: Option<Spanned<f64>>,
    /// Per minute until recovery (default 1).
    #[serde(default)]
    #[schemars(with = "Option<f64>")]
    pub recovery: Option<Spanned<f64>>,
    /// Per policy violation (default 100).
    #[serde(default)]
    #[schemars(with = "Option<f64>")]
    pub policy_violations: Option<Spanned<f64>>,
}
