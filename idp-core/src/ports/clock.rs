//! The `Clock` port: where "now" comes from.
//!
//! The domain never reads the clock; use cases take `now` from a [`Clock`] so tests can pin and move
//! time. [`SystemClock`] is the only place in the library that reads the system clock.

use std::fmt::Debug;
use std::sync::Mutex;

use chrono::{DateTime, TimeDelta, Utc};

/// A source of the current time.
pub trait Clock: Debug + Send + Sync + 'static {
    /// The current time, in UTC.
    fn now(&self) -> DateTime<Utc>;
}

/// The wall clock of this machine.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(
        clippy::disallowed_methods,
        reason = "SystemClock is the one reader of the system clock"
    )]
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until told otherwise; for tests.
///
/// ```
/// use chrono::{TimeDelta, TimeZone, Utc};
/// use idp_core::ports::{Clock, FixedClock};
///
/// let clock = FixedClock::new(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap());
/// clock.advance(TimeDelta::hours(2));
/// assert_eq!(clock.now(), Utc.with_ymd_and_hms(2026, 1, 1, 2, 0, 0).unwrap());
/// ```
#[derive(Debug)]
pub struct FixedClock {
    now: Mutex<DateTime<Utc>>,
}

impl FixedClock {
    /// A clock showing `now`.
    pub fn new(now: DateTime<Utc>) -> Self {
        Self {
            now: Mutex::new(now),
        }
    }

    /// Sets the time.
    pub fn set(&self, now: DateTime<Utc>) {
        *self.lock() = now;
    }

    /// Moves the time by `by` (which may be negative).
    pub fn advance(&self, by: TimeDelta) {
        let mut now = self.lock();
        *now += by;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, DateTime<Utc>> {
        // A poisoned lock only means a test panicked while holding it; the time is still valid.
        self.now
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.lock()
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn fixed_clock_moves_only_when_told() {
        let start = Utc
            .with_ymd_and_hms(2026, 3, 1, 12, 0, 0)
            .single()
            .unwrap_or_default();
        let clock = FixedClock::new(start);
        assert_eq!(clock.now(), start);
        clock.advance(TimeDelta::minutes(90));
        assert_eq!(clock.now(), start + TimeDelta::minutes(90));
        clock.set(start);
        assert_eq!(clock.now(), start);
    }
}
