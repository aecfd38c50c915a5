//! Seed 004, second part: Redis at maxmemory, evictions, the database behind it, and
//! the seed's containment against its variants.

use meshmem::model::EventKind;
use meshmem::model::routing::AppError;

use crate::support::{run, run_sampled, secs, shipped, variant};

#[test]
fn redis_sits_at_maxmemory_and_evicts_while_the_database_nears_saturation() {
    let s = shipped("redis-maxmemory.yaml");
    let (o, rec) = run_sampled(&s, variant(&s, "left-alone"), 0);
    // redis-cli INFO as the seed shows it: used_memory at the 1 GiB limit, keys evicted.
    let first = &rec.redis[0];
    assert_eq!(first.maxmemory, 1_073_741_824);
    assert!(
        first.used as f64 > 0.999 * first.maxmemory as f64,
        "{first:?}"
    );
    let rising: Vec<u64> = rec.redis.iter().map(|r| r.evicted).collect();
    assert!(rising.windows(2).all(|w| w[1] >= w[0]));
    assert!(rising.last().unwrap() > &(rising[0] + 100_000));
    // Misses are the database's load; left alone it saturates and requests time out.
    assert!(
        o.data.db_peak_utilisation > 0.95,
        "{}",
        o.data.db_peak_utilisation
    );
    assert!(o.requests.app_errors(AppError::Timeout) > 1000.0);
}

#[test]
fn the_seed_containment_stabilises_the_cache_and_the_database() {
    let s = shipped("redis-maxmemory.yaml");
    for replica in 0..3 {
        let (base, rec) = run_sampled(&s, 0, replica);
        let (alone, _) = run(&s, variant(&s, "left-alone"), replica);
        let after = |o: &meshmem::model::RunOutcome| {
            o.after.requests.app_errors(AppError::Timeout)
                + o.after.requests.app_errors(AppError::Status5xx)
        };
        assert!(after(&base) < 1.0, "replica {replica}: {}", after(&base));
        assert!(
            after(&alone) > 10_000.0,
            "replica {replica}: {}",
            after(&alone)
        );
        // CONFIG SET is an event; afterwards maxmemory is 2 GiB and nothing is evicted.
        let set = rec
            .events
            .iter()
            .find(|e| e.kind == EventKind::Action && e.message.contains("CONFIG SET"))
            .unwrap();
        let later: Vec<_> = rec.redis.iter().filter(|r| r.time > set.time).collect();
        assert!(later.iter().all(|r| r.maxmemory == 2_147_483_648));
        assert_eq!(
            later.first().unwrap().evicted,
            later.last().unwrap().evicted
        );
        let late_db = rec.db.iter().filter(|d| secs(d.0) > 2.5 * 3600.0);
        assert!(late_db.clone().all(|d| d.2 < 0.8), "database calm after");
    }
}

#[test]
fn noeviction_refuses_writes_and_a_maxmemory_above_the_limit_is_killed() {
    let s = shipped("redis-maxmemory.yaml");
    let (noev, _) = run(&s, variant(&s, "noeviction"), 0);
    assert_eq!(noev.data.evicted_keys, 0.0);
    assert!(noev.data.rejected_writes > 100_000.0);
    assert!(noev.requests.app_errors(AppError::Status5xx) > 100_000.0);
    let (over, rec) = run(&s, variant(&s, "limit-below-maxmemory"), 0);
    assert!(over.container("redis", "redis").unwrap().oom_kills >= 1);
    let kill = rec
        .events
        .iter()
        .find(|e| e.kind == EventKind::OomKilled)
        .unwrap();
    assert!(secs(kill.time) > 105.0 * 60.0, "after the CONFIG SET");
    // The restarted server is empty: the cold cache sends every GET to the database.
    assert!(over.requests.app_errors(AppError::Timeout) > 10_000.0);
}
