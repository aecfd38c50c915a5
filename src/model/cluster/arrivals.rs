//! Fluid fidelity's arrivals: the counting process drawn a step at a time.
//!
//! Requests reach a pod as a Poisson process (many independent clients). Fluid fidelity
//! does not simulate each one, but it must not lose their randomness either: a leak of
//! `b` bytes per request at `λ` requests per second fills `n` requests' worth in a time
//! whose standard deviation is about √n / λ, not zero. So each container's arrivals are
//! drawn a step at a time: the number in the next `step` seconds is Poisson(λ × step),
//! and laws that accumulate per request move at that count's rate over the step (exact
//! at every step's end, linear in between). A step ends no later than the pod's next
//! known load change (the traffic noise's next resample, a profile breakpoint), where the
//! new load starts the next step: no wake-up of its own, and nothing to undo. When the
//! rate changes mid-step anyway (endpoints come and go), the step is cut: what in fact
//! arrived so far is Binomial(count, elapsed / step) — the exact law of a Poisson
//! process's arrivals given their number — and laws correct to it.

use rand_distr::{Distribution, Poisson};

use crate::engine::{SimDuration, SimRng, SimTime};

/// The current step of a container's arrivals.
#[derive(Clone, Debug)]
pub(crate) struct ArrivalSteps {
    step: SimDuration,
    start: SimTime,
    end: SimTime,
    count: u64,
    /// The step ends at the load's next known change, which starts the next one.
    at_change: bool,
}

impl ArrivalSteps {
    /// Steps of `step` (none drawn yet).
    pub(crate) fn new(step: SimDuration) -> Self {
        ArrivalSteps {
            step,
            start: SimTime::ZERO,
            end: SimTime::NEVER,
            count: 0,
            at_change: false,
        }
    }

    /// When the current step ends (NEVER without arrivals).
    pub(crate) fn end(&self) -> SimTime {
        self.end
    }

    /// Starts a step at `now` at `rate` requests per second, ending no later than
    /// `change`, the load's next known change: returns its count and length in seconds.
    pub(crate) fn begin(
        &mut self,
        now: SimTime,
        rate: f64,
        change: SimTime,
        rng: &mut SimRng,
    ) -> (u64, f64) {
        self.start = now;
        self.at_change = change > now && change.since(now) <= self.step;
        let len = if self.at_change {
            change.since(now)
        } else {
            self.step
        };
        let dt = len.as_secs_f64();
        let mean = rate * dt;
        if mean.is_nan() || mean <= 0.0 || !mean.is_finite() {
            self.end = SimTime::NEVER;
            self.count = 0;
            self.at_change = false;
            return (0, dt);
        }
        self.count = Poisson::new(mean).map_or(0.0, |p| p.sample(rng)) as u64;
        self.end = now + len;
        (self.count, dt)
    }

    /// When the step needs a wake-up to end: never when it ends at the load's next
    /// known change, which starts the next step.
    pub(crate) fn wake(&self) -> SimTime {
        if self.at_change {
            SimTime::NEVER
        } else {
            self.end
        }
    }

    /// The share of the current step elapsed at `now` (0 when there is none).
    pub(crate) fn elapsed(&self, now: SimTime) -> f64 {
        if self.end == SimTime::NEVER || now >= self.end {
            return 0.0;
        }
        now.since(self.start).as_secs_f64() / self.end.since(self.start).as_secs_f64()
    }

    /// Stops drawing (the container stopped, or the rate is zero).
    pub(crate) fn stop(&mut self) {
        self.end = SimTime::NEVER;
        self.count = 0;
        self.at_change = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RngStreams;

    #[test]
    fn counts_have_the_poisson_mean_and_variance() {
        let mut rng = RngStreams::new(7, 0).stream("t");
        let mut steps = ArrivalSteps::new(SimDuration::from_secs(5));
        let n = 20_000;
        let draws: Vec<f64> = (0..n)
            .map(|_| steps.begin(SimTime::ZERO, 2.0, SimTime::NEVER, &mut rng).0 as f64)
            .collect();
        let mean = draws.iter().sum::<f64>() / n as f64;
        let var = draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        assert!((mean - 10.0).abs() < 0.1, "mean {mean}");
        assert!((var - 10.0).abs() < 0.5, "variance {var}");
    }

    #[test]
    fn a_step_ends_at_the_next_change_without_a_wake() {
        let mut rng = RngStreams::new(7, 0).stream("t");
        let mut steps = ArrivalSteps::new(SimDuration::from_secs(30));
        let change = SimTime::ZERO + SimDuration::from_secs(10);
        let (_, dt) = steps.begin(SimTime::ZERO, 2.0, change, &mut rng);
        assert_eq!(dt, 10.0);
        assert_eq!(steps.end(), change);
        assert_eq!(steps.wake(), SimTime::NEVER);
        assert_eq!(
            steps.elapsed(SimTime::ZERO + SimDuration::from_secs(5)),
            0.5
        );
        // A change further than a step: a whole step, which wakes its container.
        let far = SimTime::ZERO + SimDuration::from_secs(60);
        let (_, dt) = steps.begin(SimTime::ZERO, 2.0, far, &mut rng);
        assert_eq!(dt, 30.0);
        assert_eq!(steps.wake(), steps.end());
    }

    #[test]
    fn no_rate_no_step() {
        let mut rng = RngStreams::new(7, 0).stream("t");
        let mut steps = ArrivalSteps::new(SimDuration::from_secs(5));
        assert_eq!(
            steps.begin(SimTime::ZERO, 0.0, SimTime::NEVER, &mut rng).0,
            0
        );
        assert_eq!(steps.end(), SimTime::NEVER);
    }
}
