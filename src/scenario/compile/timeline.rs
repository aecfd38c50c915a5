//! Timeline entries to model actions, tracking each workload's template revisions so
//! that a rollback returns to the previous one (`kubectl rollout undo`).

use std::sync::Arc;

use serde_saphyr::Location;

use super::{MeshContext, pod_template, workload_index};
use crate::engine::SimTime;
use crate::model::{Action, TimedAction};
use crate::scenario::error::Problem;
use crate::scenario::istio::{self, PROXY_NAME};
use crate::scenario::path;
use crate::scenario::yaml;

/// A workload's revisions, oldest first; the last is current.
type History = Vec<(u32, yaml::Workload)>;

/// The scenario's timeline as model actions, in time order.
pub fn actions(
    spec: &yaml::ScenarioFile,
    mesh: Option<&MeshContext<'_>>,
) -> Result<Vec<TimedAction>, Problem> {
    let mut entries: Vec<&yaml::TimelineEntry> = spec.timeline.iter().collect();
    entries.sort_by_key(|e| e.at.value.0);
    let mut histories: Vec<History> = spec
        .workloads
        .iter()
        .map(|w| vec![(1, w.clone())])
        .collect();
    let mut next_revision = vec![2u32; spec.workloads.len()];
    let mut out = Vec::with_capacity(entries.len());
    for e in entries {
        let (key, action) = action(spec, mesh, e, &mut histories, &mut next_revision)?;
        out.push(TimedAction {
            at: SimTime::ZERO + e.at.value.0,
            trigger: e.on.as_ref().map(trigger),
            name: e.name.clone().unwrap_or_else(|| key.to_string()),
            action,
        });
    }
    Ok(out)
}

/// A trigger of the file as the model's.
pub(super) fn trigger(t: &yaml::Trigger) -> crate::model::config::Trigger {
    use crate::model::config::Trigger;
    match t {
        yaml::Trigger::FirstOomKill => Trigger::FirstOomKill,
        yaml::Trigger::AlertFiring(name) => Trigger::AlertFiring(name.clone()),
    }
}

fn action(
    spec: &yaml::ScenarioFile,
    mesh: Option<&MeshContext<'_>>,
    e: &yaml::TimelineEntry,
    histories: &mut [History],
    next_revision: &mut [u32],
) -> Result<(&'static str, Action), Problem> {
    let given = [
        e.helm_upgrade.is_some(),
        e.set_resources.is_some(),
        e.rollback.is_some(),
        e.scale.is_some(),
        e.peer_authentication.is_some(),
        e.config_churn.is_some(),
        e.rollout_restart.is_some(),
        e.redis_config_set.is_some(),
        e.dns_upstream.is_some(),
    ];
    let one_action = || {
        Problem::new(
            e.at.referenced,
            "a timeline entry needs exactly one action",
            "one of helmUpgrade, setResources, rollback, scale, rolloutRestart, \
             peerAuthentication, configChurn, redisConfigSet, dnsUpstream",
        )
    };
    if given.iter().filter(|&&g| g).count() != 1 {
        return Err(one_action());
    }
    if let Some(r) = &e.redis_config_set {
        return redis_config_set(spec, r);
    }
    if let Some(u) = &e.dns_upstream {
        if !spec.workloads.iter().any(|w| w.coredns.is_some()) {
            return Err(Problem::new(
                e.at.referenced,
                "dnsUpstream needs cluster DNS",
                "a workload with `coredns:` (and `dns:` settings)",
            ));
        }
        return Ok((
            "dns-upstream",
            Action::DnsUpstream {
                available: u.available,
                latency: u.latency.map(|d| d.0),
            },
        ));
    }
    if let Some(r) = &e.rollout_restart {
        // `kubectl rollout restart` stamps a restartedAt annotation: a new revision of
        // the same template, rolled out like any other.
        let w = workload_index(spec, &r.workload)?;
        let new = current(&histories[w])?.clone();
        let template = Arc::new(pod_template(&new, mesh)?);
        let revision = next_revision[w];
        next_revision[w] += 1;
        histories[w].push((revision, new));
        return Ok((
            "rollout-restart",
            Action::Rollout {
                workload: w,
                template,
                revision,
            },
        ));
    }
    if let Some(c) = &e.config_churn {
        if spec.control_plane.is_none() {
            return Err(Problem::new(
                e.at.referenced,
                "configChurn needs a control plane",
                "a `controlPlane:` section in the scenario",
            ));
        }
        return Ok((
            "config-churn",
            Action::Churn(crate::model::control_plane::ChurnSpec {
                events: c.events,
                over: c.over.0,
                full_share: c.full_share.unwrap_or(0.1).clamp(0.0, 1.0),
            }),
        ));
    }
    if let Some(p) = &e.peer_authentication {
        if spec.mesh.is_none() {
            return Err(Problem::new(
                e.at.referenced,
                "peerAuthentication needs a mesh",
                "a `mesh:` section in the scenario",
            ));
        }
        let enabled = p.mode != yaml::PeerAuthMode::Disable;
        return Ok(("peer-authentication", Action::SetMtls { enabled }));
    }
    let changed = if let Some(c) = &e.helm_upgrade {
        let w = workload_index(spec, &c.workload)?;
        Some(("helm-upgrade", w, upgraded(current(&histories[w])?, c)?))
    } else if let Some(c) = &e.set_resources {
        let w = workload_index(spec, &c.workload)?;
        Some((
            "set-resources",
            w,
            with_resources(current(&histories[w])?, c, spec)?,
        ))
    } else {
        None
    };
    if let Some((key, w, new)) = changed {
        let template = Arc::new(pod_template(&new, mesh)?);
        let revision = next_revision[w];
        next_revision[w] += 1;
        histories[w].push((revision, new));
        let action = Action::Rollout {
            workload: w,
            template,
            revision,
        };
        return Ok((key, action));
    }
    if let Some(r) = &e.rollback {
        let w = workload_index(spec, &r.workload)?;
        let h = &mut histories[w];
        if h.len() < 2 {
            return Err(Problem::new(
                r.workload.referenced,
                format!(
                    "`{}` has no previous revision to roll back to",
                    r.workload.value
                ),
                "a rollback after a helmUpgrade or setResources of the same workload",
            ));
        }
        let previous = h.remove(h.len() - 2);
        let template = Arc::new(pod_template(&previous.1, mesh)?);
        let revision = previous.0;
        h.push(previous);
        return Ok((
            "rollback",
            Action::Rollout {
                workload: w,
                template,
                revision,
            },
        ));
    }
    let s = e.scale.as_ref().ok_or_else(one_action)?;
    let w = workload_index(spec, &s.workload)?;
    Ok((
        "scale",
        Action::Scale {
            workload: w,
            replicas: s.replicas,
        },
    ))
}

/// `redis-cli CONFIG SET` on a Redis workload.
fn redis_config_set(
    spec: &yaml::ScenarioFile,
    r: &yaml::RedisConfigSet,
) -> Result<(&'static str, Action), Problem> {
    let w = workload_index(spec, &r.workload)?;
    if spec.workloads[w].redis.is_none() {
        return Err(Problem::new(
            r.workload.referenced,
            format!("workload `{}` does not run Redis", r.workload.value),
            "a workload with `redis:`",
        ));
    }
    if r.maxmemory.is_none() && r.maxmemory_policy.is_none() {
        return Err(Problem::new(
            r.workload.referenced,
            "redisConfigSet sets nothing",
            "maxmemory: 2gb and/or maxmemoryPolicy: allkeys-lru",
        ));
    }
    let redis = spec.workloads[..w]
        .iter()
        .filter(|x| x.redis.is_some())
        .count();
    Ok((
        "redis-config-set",
        Action::RedisConfigSet {
            redis,
            maxmemory: r.maxmemory.map(|m| m.0),
            policy: r.maxmemory_policy.map(|p| p.0),
        },
    ))
}

/// The workload's latest revision (a history starts with the scenario's own).
fn current(h: &History) -> Result<&yaml::Workload, Problem> {
    h.last().map(|(_, w)| w).ok_or_else(|| {
        Problem::new(
            Location::UNKNOWN,
            "a workload without a revision",
            "a workload of the scenario",
        )
    })
}

/// The workload after a Helm upgrade: annotations merged, values set by path.
fn upgraded(w: &yaml::Workload, c: &yaml::TemplateChange) -> Result<yaml::Workload, Problem> {
    let mut new = w.clone();
    new.annotations.extend(c.annotations.clone());
    if c.set.is_empty() {
        return Ok(new);
    }
    let mut value = serde_json::to_value(&new).map_err(|e| {
        Problem::new(
            c.workload.referenced,
            e.to_string(),
            "a workload of the scenario",
        )
    })?;
    for (p, v) in &c.set {
        path::set(&mut value, p, v.value.clone())
            .map_err(|m| Problem::new(v.referenced, m, "a path relative to the workload"))?;
    }
    serde_json::from_value(value).map_err(|e| {
        let at = c
            .set
            .values()
            .next()
            .map_or(c.workload.referenced, |v| v.referenced);
        Problem::new(
            at,
            format!("helmUpgrade `set`: {e}"),
            "values of the workload's own form",
        )
    })
}

/// The workload after `kubectl set resources`.
fn with_resources(
    w: &yaml::Workload,
    c: &yaml::SetResources,
    spec: &yaml::ScenarioFile,
) -> Result<yaml::Workload, Problem> {
    let mut new = w.clone();
    let merge = |into: &mut yaml::ResourceList, from: &yaml::ResourceList| {
        if from.memory.is_some() {
            into.memory = from.memory.clone();
        }
        if from.cpu.is_some() {
            into.cpu = from.cpu.clone();
        }
    };
    let target = if c.container.value == PROXY_NAME && istio::injected(spec.mesh.as_ref(), w) {
        &mut new.proxy.resources
    } else if let Some(k) = new
        .containers
        .iter_mut()
        .find(|k| k.name.value == c.container.value)
    {
        &mut k.resources
    } else {
        return Err(Problem::new(
            c.container.referenced,
            format!(
                "workload `{}` has no container `{}`",
                w.name.value, c.container.value
            ),
            "the name of one of the workload's containers (or istio-proxy)",
        ));
    };
    merge(&mut target.requests, &c.requests);
    merge(&mut target.limits, &c.limits);
    Ok(new)
}
