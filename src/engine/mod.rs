//! The discrete-event engine: simulated time, the event queue and seeded random streams.
//!
//! The engine knows nothing of Kubernetes. It offers three things:
//!
//! - [`SimTime`] and [`SimDuration`]: integer nanoseconds, never floats, so a run is exact
//!   and a pure function of its inputs;
//! - [`EventQueue`]: events ordered by (time, insertion sequence), so events at the same
//!   instant come out in the order they were scheduled; events can be cancelled and
//!   rescheduled (a predicted limit crossing moves whenever a rate changes);
//! - [`RngStreams`]: one portable, seeded generator per entity or purpose, derived from
//!   (seed, replica, stream name), so adding an entity does not shift anyone else's
//!   randomness and a variant replays its baseline's random numbers.
//!
//! There is no fixed tick: whoever drives the queue decides when the next thing happens.

mod queue;
mod rng;
mod time;

pub use queue::{EventKey, EventQueue};
pub use rng::{RngStreams, SimRng};
pub use time::{SimDuration, SimTime};
