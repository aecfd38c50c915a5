//! Cluster DNS: what a CoreDNS outage does to lookups, with and without caches, and
//! what pending queries do to CoreDNS' memory.

use meshmem::model::EventKind;
use meshmem::model::routing::AppError;

use crate::support::{inline, run, run_sampled, secs, variant};

/// web-app calls a database by its cluster name on every request; CoreDNS is scaled to
/// 0 from 10m to 12m (its Service has no endpoints meanwhile).
fn outage(extra: &str) -> String {
    format!(
        r#"
name: dns
duration: 20m
nodes: [{{name: n, count: 2, capacity: 16Gi}}]
dns: {{}}
workloads:
  - name: coredns
    replicas: 2
    coredns: {{}}
    containers:
      - name: coredns
        resources: {{requests: {{memory: 70Mi}}, limits: {{memory: 170Mi}}}}
        memory: {{baseline: {{size: 30Mi}}}}
  - name: web
    replicas: 2
    containers:
      - name: web
        resources: {{requests: {{memory: 256Mi}}, limits: {{memory: 1Gi}}}}
        memory: {{baseline: {{size: 100Mi}}}}
    calls:
      - {{database: db, timeout: 1s}}
databases:
  - {{name: db, servers: 50, serviceTime: 5ms}}
traffic:
  - service: web
    rps: 100
timeline:
  - {{at: 10m, scale: {{workload: coredns, replicas: 0}}}}
  - {{at: 12m, scale: {{workload: coredns, replicas: 2}}}}
variants:
  - name: client-cache
    set:
      workloads[web].dnsCache: 1h
  - name: node-local
    set:
      dns.nodeLocal: true
{extra}
"#
    )
}

#[test]
fn a_coredns_outage_fails_lookups_of_uncached_names_only() {
    let s = inline(&outage(""));
    let dns = |v: &str| {
        let (o, _) = run(&s, variant(&s, v), 0);
        (o.requests.app_errors(AppError::Dns), o.requests.requests)
    };
    let (plain, requests) = dns("baseline");
    // Without a client cache every lookup of the ~2 min outage fails at once (the
    // Service has no endpoints: refused), ~100 rps × ~120 s.
    assert!(plain > 0.9 * 100.0 * 110.0, "{plain} of {requests}");
    // A client that cached the name for an hour asks only when its entry runs out:
    // ~2 min of a 1 h TTL, a few percent of the lookups.
    let (cached, _) = dns("client-cache");
    assert!(cached < 0.05 * plain, "{cached}");
    // NodeLocal DNSCache keeps the cluster answer up to 30 s (15 s on average): of the
    // ~120 s outage, ~105 s fail.
    let (node_local, _) = dns("node-local");
    let share = node_local / plain;
    assert!((0.8..0.95).contains(&share), "{node_local} vs {plain}");
}

#[test]
fn lookups_fail_only_while_no_coredns_is_ready() {
    let s = inline(&outage(""));
    let (o, rec) = run(&s, 0, 0);
    let down = rec
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Killing && e.pod.starts_with("coredns"))
        .count();
    assert_eq!(down, 2);
    // 20 minutes at 100 rps; the failures fit in the outage.
    let total = o.requests.requests;
    let failed = o.requests.app_errors(AppError::Dns);
    assert!(failed < total * 2.5 / 20.0, "{failed} of {total}");
    assert_eq!(o.requests.app_errors(AppError::Timeout), 0.0);
}

/// Upstream resolver gone from 5m; the rest of the cluster looks external names up at
/// `rate`/s; CoreDNS 170Mi with `max_concurrent` `cap`.
fn pileup(rate: u32, cap: u32) -> String {
    format!(
        r#"
name: pileup
duration: 10m
nodes: [{{name: n, count: 2, capacity: 16Gi}}]
dns:
  otherClients: {{externalLookups: {rate}, externalNames: 100}}
workloads:
  - name: coredns
    replicas: 2
    coredns: {{maxConcurrent: {cap}}}
    containers:
      - name: coredns
        resources: {{requests: {{memory: 70Mi}}, limits: {{memory: 170Mi}}}}
        memory: {{baseline: {{size: 60Mi}}}}
timeline:
  - {{at: 5m, dnsUpstream: {{available: false}}}}
"#
    )
}

#[test]
fn without_max_concurrent_pending_queries_oom_kill_coredns() {
    // 6000/s × (1 − cached) × A+AAAA × 2 attempts × 5 s ÷ 2 pods = 60 000 pending per
    // pod × 2 KiB ≈ 117 MiB over a 60 MiB baseline: past 170Mi once the cache runs out.
    let s = inline(&pileup(6000, 0));
    let (o, rec) = run_sampled(&s, 0, 0);
    let coredns = o.container("coredns", "coredns").unwrap();
    assert!(coredns.oom_kills >= 2, "{coredns:?}");
    let first = coredns.first_oom.unwrap();
    assert!(
        secs(first) > 300.0 && secs(first) < 300.0 + 45.0,
        "{first:?}"
    );
    let kill = rec
        .events
        .iter()
        .find(|e| e.kind == EventKind::OomKilled)
        .unwrap();
    assert!(
        kill.message.contains("largest component"),
        "{}",
        kill.message
    );
    // Before the upstream went away nothing was pending.
    let before = rec
        .samples
        .iter()
        .filter(|s| s.2 == "coredns" && secs(s.0) < 300.0)
        .map(|s| s.3)
        .max()
        .unwrap();
    assert!(before < 62 * 1024 * 1024, "{before}");
}

#[test]
fn max_concurrent_refuses_instead_of_growing() {
    let s = inline(&pileup(6000, 1000));
    let (o, rec) = run_sampled(&s, 0, 0);
    assert_eq!(o.oom_kills(), 0);
    let peak = rec
        .samples
        .iter()
        .filter(|s| s.2 == "coredns")
        .map(|s| s.3)
        .max()
        .unwrap();
    // At most 1000 pending × 2 KiB on top of the cache and baseline.
    assert!(peak < 60 * 1024 * 1024 + 1000 * 2048 + 2_000_000, "{peak}");
}
