//! `maxmemory-policy`: which keys Redis may evict when `used_memory` is over
//! `maxmemory`, and how it picks them (docs/reference.md#redis-memory-and-eviction;
//! redis `src/evict.c` `performEvictions` and `evictionPoolPopulate`, `src/server.c`
//! `processCommand` rejecting `DENYOOM` commands with `shared.oomerr`, @ 7.4.1).
//!
//! Redis samples `maxmemory-samples` keys (5) into a pool of 16 candidates ordered by a
//! score and evicts the best one. The fluid model follows what that does to a keyspace
//! rather than each sample:
//!
//! - LRU (score: idle time): keys idle longest go first. Under independent requests a
//!   key of access rate `a` has been idle more than `T` with probability `e^(−aT)`, so
//!   an LRU cache behaves like one that drops a key `T` after its last access (Che's
//!   approximation). The sampled LRU of Redis is an approximation of that true LRU; its
//!   residual error (small at 5 samples per Redis' own measurements) is left out.
//! - LFU (score: 255 − the decayed logarithmic counter): the least frequently used keys
//!   go first; the fluid model evicts from the least popular keys present.
//! - random: every candidate key is equally likely.
//! - volatile-ttl (score: soonest expiry): with one TTL for every write, the key that
//!   expires soonest is the one written longest ago — first in, first out, whose hit
//!   ratio under independent requests is that of random eviction; it is modelled so.
//!
//! `allkeys-*` may evict any key; `volatile-*` only keys with a TTL. With no candidate
//! (noeviction, or volatile-* and no key with a TTL) Redis refuses the commands flagged
//! `DENYOOM` — writes — with `-OOM command not allowed when used memory > 'maxmemory'.`

use std::fmt;
use std::str::FromStr;

/// A `maxmemory-policy` value.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum MaxmemoryPolicy {
    /// Never evict; refuse writes over the limit (the default).
    NoEviction,
    /// Evict the least recently used of all keys.
    AllKeysLru,
    /// Evict the least recently used key with a TTL.
    VolatileLru,
    /// Evict the least frequently used of all keys.
    AllKeysLfu,
    /// Evict the least frequently used key with a TTL.
    VolatileLfu,
    /// Evict a random key.
    AllKeysRandom,
    /// Evict a random key with a TTL.
    VolatileRandom,
    /// Evict the key with a TTL that expires soonest.
    VolatileTtl,
}

/// How a policy ranks the keys it may evict.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Ranking {
    /// Longest idle first.
    Lru,
    /// Least frequently used first.
    Lfu,
    /// Any candidate alike (random, and soonest-expiry under one TTL).
    Uniform,
}

impl MaxmemoryPolicy {
    /// Every policy, as `redis.conf` lists them.
    pub const ALL: [MaxmemoryPolicy; 8] = [
        MaxmemoryPolicy::VolatileLru,
        MaxmemoryPolicy::AllKeysLru,
        MaxmemoryPolicy::VolatileLfu,
        MaxmemoryPolicy::AllKeysLfu,
        MaxmemoryPolicy::VolatileRandom,
        MaxmemoryPolicy::AllKeysRandom,
        MaxmemoryPolicy::VolatileTtl,
        MaxmemoryPolicy::NoEviction,
    ];

    /// The name as `CONFIG SET maxmemory-policy` takes it.
    pub fn as_str(self) -> &'static str {
        match self {
            MaxmemoryPolicy::NoEviction => "noeviction",
            MaxmemoryPolicy::AllKeysLru => "allkeys-lru",
            MaxmemoryPolicy::VolatileLru => "volatile-lru",
            MaxmemoryPolicy::AllKeysLfu => "allkeys-lfu",
            MaxmemoryPolicy::VolatileLfu => "volatile-lfu",
            MaxmemoryPolicy::AllKeysRandom => "allkeys-random",
            MaxmemoryPolicy::VolatileRandom => "volatile-random",
            MaxmemoryPolicy::VolatileTtl => "volatile-ttl",
        }
    }

    /// How it ranks candidates; `None` for noeviction.
    pub fn ranking(self) -> Option<Ranking> {
        match self {
            MaxmemoryPolicy::NoEviction => None,
            MaxmemoryPolicy::AllKeysLru | MaxmemoryPolicy::VolatileLru => Some(Ranking::Lru),
            MaxmemoryPolicy::AllKeysLfu | MaxmemoryPolicy::VolatileLfu => Some(Ranking::Lfu),
            MaxmemoryPolicy::AllKeysRandom
            | MaxmemoryPolicy::VolatileRandom
            | MaxmemoryPolicy::VolatileTtl => Some(Ranking::Uniform),
        }
    }

    /// `true` if only keys with a TTL may be evicted.
    pub fn volatile_only(self) -> bool {
        matches!(
            self,
            MaxmemoryPolicy::VolatileLru
                | MaxmemoryPolicy::VolatileLfu
                | MaxmemoryPolicy::VolatileRandom
                | MaxmemoryPolicy::VolatileTtl
        )
    }

    /// `true` if a key with (`volatile`) or without a TTL may be evicted.
    pub fn may_evict(self, volatile: bool) -> bool {
        self.ranking().is_some() && (volatile || !self.volatile_only())
    }
}

impl fmt::Display for MaxmemoryPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MaxmemoryPolicy {
    type Err = String;

    /// Case-insensitive, as Redis' enum configs are.
    fn from_str(s: &str) -> Result<Self, String> {
        let lower = s.to_ascii_lowercase();
        MaxmemoryPolicy::ALL
            .into_iter()
            .find(|p| p.as_str() == lower)
            .ok_or_else(|| format!("`{s}` is not a maxmemory-policy"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_policy_reads_back_and_volatile_ones_spare_persistent_keys() {
        for p in MaxmemoryPolicy::ALL {
            assert_eq!(p.as_str().parse::<MaxmemoryPolicy>(), Ok(p));
        }
        assert_eq!("AllKeys-LRU".parse(), Ok(MaxmemoryPolicy::AllKeysLru));
        assert!(MaxmemoryPolicy::VolatileLru.may_evict(true));
        assert!(!MaxmemoryPolicy::VolatileLru.may_evict(false));
        assert!(MaxmemoryPolicy::AllKeysRandom.may_evict(false));
        assert!(!MaxmemoryPolicy::NoEviction.may_evict(true));
        assert!("lru".parse::<MaxmemoryPolicy>().is_err());
    }
}
