//! Seeded, portable random streams: one per entity or purpose.
//!
//! A stream's seed is a hash of (scenario seed, replica index, stream name). Names are
//! stable identities such as `"traffic/payment-service/noise"`, so:
//!
//! - adding a pod or a service adds streams without shifting any other stream;
//! - a variant of a scenario draws the same numbers as its baseline wherever it has the
//!   same entities (common random numbers), so differences come from the change itself.
//!
//! The generator is Xoshiro256++ (a fixed, documented algorithm, unlike `StdRng`, whose
//! algorithm may change between `rand` versions). A golden-value test pins its output.

use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;

/// The generator used for every stream.
pub type SimRng = Xoshiro256PlusPlus;

/// Derives independent named streams for one replica of one scenario.
#[derive(Copy, Clone, Debug)]
pub struct RngStreams {
    root: u64,
}

/// SplitMix64's finaliser: a bijective mix with good avalanche.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// FNV-1a over the name's bytes: stable across platforms and versions.
fn fnv1a(name: &str) -> u64 {
    name.bytes().fold(0xCBF2_9CE4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3)
    })
}

impl RngStreams {
    /// Streams for replica `replica` of a scenario with seed `seed`.
    pub fn new(seed: u64, replica: u64) -> Self {
        RngStreams {
            root: mix(mix(seed) ^ replica.wrapping_mul(0xD1B5_4A32_D192_ED03)),
        }
    }

    /// The stream called `name`. Calling twice with one name gives two identical streams.
    pub fn stream(&self, name: &str) -> SimRng {
        SimRng::seed_from_u64(mix(self.root ^ fnv1a(name)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    /// Pins the generator: if `rand` ever changes Xoshiro256++ or its seeding, every
    /// stored result would silently change; this test says so first.
    #[test]
    fn golden_values_of_a_fixed_seed() {
        let mut rng = RngStreams::new(42, 0).stream("golden");
        let got: Vec<u64> = (0..3).map(|_| rng.random::<u64>()).collect();
        assert_eq!(got, GOLDEN);
    }
    const GOLDEN: [u64; 3] = [
        17_767_543_438_450_864_772,
        2_939_501_433_965_748_413,
        6_805_862_047_412_165_362,
    ];

    #[test]
    fn streams_differ_by_name_and_replica_but_not_by_call() {
        let s = RngStreams::new(7, 3);
        let a: u64 = s.stream("a").random();
        assert_eq!(a, s.stream("a").random::<u64>());
        assert_ne!(a, s.stream("b").random::<u64>());
        assert_ne!(a, RngStreams::new(7, 4).stream("a").random::<u64>());
        assert_ne!(a, RngStreams::new(8, 3).stream("a").random::<u64>());
    }
}
