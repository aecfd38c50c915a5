//! The keyspace's behaviour at and below `maxmemory`, policy by policy.

use std::sync::Arc;

use super::keyspace::*;
use super::policy::MaxmemoryPolicy;
use crate::engine::{SimDuration, SimTime};
use crate::model::memory::zipf_bins;

fn classes(keys: u64, zipf: f64, volatile: bool) -> Arc<[KeyClass]> {
    zipf_bins(keys, zipf)
        .into_iter()
        .map(|b| KeyClass {
            keys: b.keys,
            per_key: b.per_key,
            volatile,
            bytes: 100.0,
        })
        .collect()
}

fn run(ks: &mut Keyspace, until: u64) {
    let end = SimTime::from_secs(until);
    while ks.step_end() < end {
        let t = ks.step_end();
        ks.step(t);
    }
    ks.advance(end);
}

const LOAD: Load = Load {
    gets: 1000.0,
    fill: 1.0,
    writes: 0.0,
};

#[test]
fn nothing_is_evicted_until_used_memory_reaches_maxmemory() {
    // 100 000 keys of 100 B = 10 MB of data; a 5 MB limit.
    let mut ks = Keyspace::new(
        classes(100_000, 0.8, false),
        None,
        1e6,
        5e6,
        MaxmemoryPolicy::AllKeysLru,
    );
    ks.set_load(SimTime::ZERO, LOAD);
    let mut t = 0;
    while ks.used() < 5e6 - 1.0 {
        assert_eq!(ks.counters.evicted, 0.0, "evicted before the limit at {t}s");
        t += 10;
        run(&mut ks, t);
    }
    run(&mut ks, t + 3600);
    assert!(ks.counters.evicted > 1000.0);
    assert!((ks.used() - 5e6).abs() < 1e3, "used {}", ks.used());
    assert_eq!(ks.regime(), Regime::Evicting);
}

#[test]
fn at_the_limit_lru_keeps_the_popular_keys_better_than_random() {
    let hit = |p: MaxmemoryPolicy| {
        let mut ks = Keyspace::new(classes(100_000, 0.8, false), None, 1e6, 5e6, p);
        ks.set_load(SimTime::ZERO, LOAD);
        run(&mut ks, 20_000);
        ks.hit_ratio()
    };
    let (lru, lfu, random) = (
        hit(MaxmemoryPolicy::AllKeysLru),
        hit(MaxmemoryPolicy::AllKeysLfu),
        hit(MaxmemoryPolicy::AllKeysRandom),
    );
    assert!(
        lfu > lru && lru > random,
        "lfu {lfu} lru {lru} random {random}"
    );
}

#[test]
fn noeviction_refuses_writes_and_evicts_nothing() {
    let mut ks = Keyspace::new(
        classes(100_000, 0.8, false),
        None,
        1e6,
        5e6,
        MaxmemoryPolicy::NoEviction,
    );
    ks.set_load(SimTime::ZERO, LOAD);
    run(&mut ks, 20_000);
    assert_eq!(ks.counters.evicted, 0.0);
    assert!(ks.counters.rejected > 1000.0);
    assert_eq!(ks.accept(), 0.0);
    assert!(ks.used() <= 5e6 + 1.0);
}

#[test]
fn with_ttls_noeviction_accepts_what_expiry_makes_room_for() {
    let mut ks = Keyspace::new(
        classes(100_000, 0.8, true),
        Some(SimDuration::from_secs(600)),
        1e6,
        3e6,
        MaxmemoryPolicy::NoEviction,
    );
    ks.set_load(SimTime::ZERO, LOAD);
    run(&mut ks, 20_000);
    assert!(ks.accept() > 0.0 && ks.accept() < 1.0, "{}", ks.accept());
    assert!(ks.counters.expired > 0.0 && ks.counters.evicted == 0.0);
}

#[test]
fn volatile_policies_without_ttl_keys_refuse_like_noeviction() {
    let mut ks = Keyspace::new(
        classes(100_000, 0.8, false),
        None,
        1e6,
        5e6,
        MaxmemoryPolicy::VolatileLru,
    );
    ks.set_load(SimTime::ZERO, LOAD);
    run(&mut ks, 20_000);
    assert_eq!(ks.counters.evicted, 0.0);
    assert_eq!(ks.regime(), Regime::Refusing);
}

#[test]
fn lowering_maxmemory_evicts_at_once_and_raising_it_lets_memory_grow() {
    let mut ks = Keyspace::new(
        classes(100_000, 0.8, false),
        None,
        1e6,
        8e6,
        MaxmemoryPolicy::AllKeysLru,
    );
    ks.set_load(SimTime::ZERO, LOAD);
    run(&mut ks, 20_000);
    let before = ks.counters.evicted;
    ks.configure(SimTime::from_secs(20_000), 4e6, MaxmemoryPolicy::AllKeysLru);
    assert!(ks.used() <= 4e6 + 1.0 && ks.counters.evicted > before + 30_000.0);
    ks.configure(SimTime::from_secs(20_001), 2e7, MaxmemoryPolicy::AllKeysLru);
    run(&mut ks, 30_000);
    assert!(ks.used() > 8e6);
}
