//! Redis under maxmemory: evictions start only at the limit, noeviction refuses writes,
//! a limit the container cannot hold is an OOM kill, misses become database load.

use meshmem::model::EventKind;

use crate::support::{inline, run_sampled, secs};

/// A web-app reading 2 keys per request from a Redis (cache-aside, database behind),
/// 200 000 keys of ~700 B (~140 MB if all cached) against `maxmemory`, `policy`, and a
/// container limit `limit`.
fn scenario(maxmemory: &str, policy: &str, limit: &str, extra_variants: &str) -> String {
    format!(
        r#"
name: redis
duration: 2h
scrapeInterval: 30s
nodes: [{{name: n, count: 2, capacity: 16Gi}}]
workloads:
  - name: web
    replicas: 2
    containers:
      - name: web
        resources: {{requests: {{memory: 256Mi}}, limits: {{memory: 1Gi}}}}
        memory:
          baseline: {{size: 100Mi}}
          inFlight: {{latency: 20ms, perRequest: 64Ki}}
    calls:
      - redis: cache
        perRequest: 2
        keys: {{universe: 200000, zipf: 0.8, keySize: 20, valueSize: 600}}
        onMiss: {{database: db, timeout: 1s}}
  - name: cache
    redis: {{maxmemory: {maxmemory}, maxmemoryPolicy: {policy}}}
    containers:
      - name: redis
        resources: {{requests: {{memory: {limit}}}, limits: {{memory: {limit}}}}}
        memory:
          baseline: {{size: 4Mi}}
databases:
  - {{name: db, servers: 20, serviceTime: 10ms}}
traffic:
  - service: web
    rps: 200
{extra_variants}
"#
    )
}

#[test]
fn evictions_start_only_once_used_memory_reaches_maxmemory() {
    let s = inline(&scenario("50mb", "allkeys-lru", "1Gi", ""));
    let (outcome, rec) = run_sampled(&s, 0, 0);
    let first_full = rec
        .redis
        .iter()
        .position(|r| r.used as f64 >= r.maxmemory as f64 * (1.0 - 1e-6))
        .expect("the cache fills its 50 MiB");
    assert!(first_full > 2, "it takes a while to fill");
    for r in &rec.redis[..first_full] {
        assert_eq!(r.evicted, 0, "evicted below the limit at {}s", secs(r.time));
        assert!(r.used < r.maxmemory);
    }
    let last = rec.redis.last().unwrap();
    assert!(last.evicted > 10_000, "{last:?}");
    assert!(
        last.used <= last.maxmemory + 1,
        "used_memory stays at the limit"
    );
    assert_eq!(last.rejected, 0, "an evicting policy accepts every write");
    assert_eq!(outcome.data.rejected_writes, 0.0);
    assert!(
        rec.events
            .iter()
            .any(|e| e.kind == EventKind::MaxmemoryReached && e.message.contains("evicting")),
        "the limit is an event"
    );
}

#[test]
fn noeviction_refuses_writes_and_evicts_nothing() {
    let s = inline(&scenario("50mb", "noeviction", "1Gi", ""));
    let (outcome, rec) = run_sampled(&s, 0, 0);
    assert_eq!(outcome.data.evicted_keys, 0.0);
    assert!(rec.redis.iter().all(|r| r.evicted == 0));
    assert!(outcome.data.rejected_writes > 10_000.0);
    let last = rec.redis.last().unwrap();
    assert!(last.used <= last.maxmemory + 1);
    // The caller's SET after a miss fails: an unhandled client error, a 500.
    let fivexx = outcome
        .requests
        .app_errors(meshmem::model::routing::AppError::Status5xx);
    assert!(fivexx > 1000.0, "{fivexx}");
    // Reads still work: hits keep coming once it is full.
    let full = rec.redis.iter().find(|r| r.rejected > 0).unwrap();
    assert!(last.hits > full.hits);
}

#[test]
fn a_maxmemory_the_container_cannot_hold_is_an_oom_kill_not_an_eviction() {
    // 1gb of maxmemory in a 64Mi container: the cgroup fills long before Redis' limit.
    let s = inline(&scenario("1gb", "allkeys-lru", "64Mi", ""));
    let (outcome, rec) = run_sampled(&s, 0, 0);
    let redis = outcome.container("cache", "redis").unwrap();
    assert!(redis.oom_kills >= 1, "{redis:?}");
    assert_eq!(outcome.data.evicted_keys, 0.0, "never at maxmemory");
    let kill = rec
        .events
        .iter()
        .find(|e| e.kind == EventKind::OomKilled)
        .unwrap();
    assert_eq!(kill.exit_code, Some(137));
    assert!(
        kill.message.contains("largest component redis"),
        "{}",
        kill.message
    );
    // A restarted server comes back empty.
    let after = rec
        .redis
        .iter()
        .find(|r| r.time > kill.time)
        .expect("scraped after the kill");
    assert!(after.used < 20_000_000, "{after:?}");
}

#[test]
fn cache_misses_become_database_load() {
    let variants = r#"
variants:
  - name: bigger
    set:
      workloads[cache].redis.maxmemory: 200mb
"#;
    let s = inline(&scenario("40mb", "allkeys-lru", "1Gi", variants));
    let mean_qps = |v: usize| {
        let (outcome, rec) = run_sampled(&s, v, 0);
        let late: Vec<f64> = rec
            .db
            .iter()
            .filter(|d| secs(d.0) > 3600.0)
            .map(|d| d.1)
            .collect();
        (
            late.iter().sum::<f64>() / late.len() as f64,
            outcome.data.hit_ratio().unwrap(),
        )
    };
    let ((small, hit_small), (big, hit_big)) = (mean_qps(0), mean_qps(1));
    assert!(hit_big > hit_small + 0.05, "{hit_small} vs {hit_big}");
    assert!(
        small > 1.3 * big,
        "database load {small} vs {big} queries/s"
    );
}

#[test]
fn config_set_raises_the_limit_and_a_restart_forgets_it() {
    let timeline = r#"
timeline:
  - {at: 1h, redisConfigSet: {workload: cache, maxmemory: 100mb}}
"#;
    let s = inline(&scenario("30mb", "allkeys-lru", "1Gi", timeline));
    let (_, rec) = run_sampled(&s, 0, 0);
    let before = rec.redis.iter().filter(|r| secs(r.time) < 3600.0);
    assert!(before.clone().all(|r| r.maxmemory == 30 * 1024 * 1024));
    let last = rec.redis.last().unwrap();
    assert_eq!(last.maxmemory, 100 * 1024 * 1024);
    assert!(last.used > 30 * 1024 * 1024, "room for more keys: {last:?}");
    assert!(
        rec.events
            .iter()
            .any(|e| e.kind == EventKind::Action && e.message.contains("CONFIG SET maxmemory"))
    );
}
