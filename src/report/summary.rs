//! `summary.csv` (one row per variant and replica) and `containers.csv` (one row per
//! variant, replica and container).

use std::io;

use super::format::{burn, count, counts_503, opt_secs};
use crate::engine::SimTime;
use crate::model::routing::{AppError, ResponseFlag};
use crate::runner::ReplicaResult;
use crate::scenario::Scenario;

/// The CSV text written into memory (an error here is a row of the wrong width).
fn to_bytes(w: csv::Writer<Vec<u8>>) -> io::Result<Vec<u8>> {
    w.into_inner().map_err(|e| e.into_error())
}

/// `summary.csv`: per run, OOM kills, first OOM, restarts, requests and 503s by flag.
pub fn summary_csv(scenario: &Scenario, results: &[ReplicaResult]) -> io::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec![
        "variant",
        "replica",
        "seed",
        "oom_kills",
        "first_oom_s",
        "first_oom_container",
        "restarts",
        "requests",
        "errors_503",
    ];
    let flag_columns: Vec<String> = ResponseFlag::ALL
        .iter()
        .map(|f| format!("errors_503_{}", f.as_str().to_lowercase()))
        .collect();
    header.extend(flag_columns.iter().map(String::as_str));
    header.extend(AppError::ALL.map(AppError::column));
    header.extend([
        "peak_burn_5m",
        "peak_burn_1h",
        "oom_kills_after",
        "requests_after",
        "errors_503_after",
        "peak_burn_5m_after",
        "peak_burn_1h_after",
        "window_start_s",
        "first_oom_after_s",
        "errors_503_uh_after",
        "errors_503_uf_after",
        "errors_503_uc_after",
        "errors_503_nr_after",
        "policy_violations",
        "first_alert_s",
        "first_alert",
        "alert_lead_s",
        "nr_window_s",
        "nr_mean_s",
        "errors_5xx_after",
        "timeouts_after",
        "dns_failures_after",
        "redis_evicted_keys",
        "redis_rejected_writes",
        "redis_hit_ratio",
        "db_peak_utilisation",
    ]);
    w.write_record(&header)?;
    for r in results {
        let o = &r.outcome;
        let first = o
            .containers
            .iter()
            .filter(|c| c.first_oom.is_some())
            .min_by_key(|c| c.first_oom)
            .map_or_else(String::new, |c| format!("{}/{}", c.workload, c.container));
        let (total, flags) = counts_503(ResponseFlag::ALL.map(|f| o.requests.errors(f)));
        let mut row = vec![
            scenario.variants[r.variant].name.clone(),
            r.replica.to_string(),
            scenario.seed.to_string(),
            o.oom_kills().to_string(),
            opt_secs(o.first_oom()),
            first,
            o.restarts().to_string(),
            count(o.requests.requests),
            total,
        ];
        row.extend(flags);
        row.extend(AppError::ALL.map(|k| count(o.requests.app_errors(k))));
        row.extend([
            burn(o.peak_burn.burn_5m),
            burn(o.peak_burn.burn_1h),
            o.after.oom_kills.to_string(),
            count(o.after.requests.requests),
            count(o.after.requests.total_503()),
            burn(o.after.peak_burn.burn_5m),
            burn(o.after.peak_burn.burn_1h),
            opt_secs(o.after.start),
            since_window(o.first_oom_after(), o.after.start),
        ]);
        row.extend(counts_503(ResponseFlag::ALL.map(|f| o.after.requests.errors(f))).1);
        row.extend([
            o.policy_violations.to_string(),
            opt_secs(o.first_alert.as_ref().map(|a| a.0)),
            o.first_alert
                .as_ref()
                .map_or_else(String::new, |a| a.1.clone()),
            o.alert_lead()
                .map_or_else(String::new, |l| format!("{l:.3}")),
            o.nr.window_seconds()
                .map_or_else(String::new, |s| format!("{s:.3}")),
            o.nr.mean_seconds()
                .map_or_else(String::new, |s| format!("{s:.3}")),
            count(o.after.requests.app_errors(AppError::Status5xx)),
            count(o.after.requests.app_errors(AppError::Timeout)),
            count(o.after.requests.app_errors(AppError::Dns)),
            count(o.data.evicted_keys),
            count(o.data.rejected_writes),
            o.data
                .hit_ratio()
                .map_or_else(String::new, |h| format!("{h:.4}")),
            format!("{:.4}", o.data.db_peak_utilisation),
        ]);
        w.write_record(&row)?;
    }
    to_bytes(w)
}

/// Seconds from the evaluation window's start to `t` (empty when either is missing).
fn since_window(t: Option<SimTime>, start: Option<SimTime>) -> String {
    match (t, start) {
        (Some(t), Some(s)) => opt_secs(Some(SimTime::ZERO + t.since(s))),
        _ => String::new(),
    }
}

/// `containers.csv`: per run and container, OOM kills, restarts, first OOM and peak.
pub fn containers_csv(scenario: &Scenario, results: &[ReplicaResult]) -> io::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "variant",
        "replica",
        "workload",
        "container",
        "oom_kills",
        "oom_kills_by_pod_or_node",
        "heap_crashes",
        "restarts",
        "first_oom_s",
        "peak_working_set_bytes",
        "oom_kills_after",
        "first_oom_after_s",
    ])?;
    for r in results {
        for c in &r.outcome.containers {
            w.write_record([
                scenario.variants[r.variant].name.as_str(),
                &r.replica.to_string(),
                &c.workload,
                &c.container,
                &c.oom_kills.to_string(),
                &c.oom_kills_outside.to_string(),
                &c.heap_crashes.to_string(),
                &c.restarts.to_string(),
                &opt_secs(c.first_oom),
                &format!("{:.0}", c.peak_bytes),
                &c.oom_kills_after.to_string(),
                &since_window(c.first_oom_after, r.outcome.after.start),
            ])?;
        }
    }
    to_bytes(w)
}
