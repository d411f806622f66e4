//! Time to live: parsing `30m`/`12h`/`7d`/`2w`, bounds, expiry arithmetic and human formatting.
//!
//! An environment's lifetime is derived from `created_at` and `expires_at`; no `ttl` value is
//! stored. Extending keeps `created_at` and moves `expires_at` (the original implementation reset
//! `created_at` on every push and lost the creation time).
//!
//! Rules:
//! - A TTL is `<digits><unit>` with unit `m`, `h`, `d` or `w`, lowercase, no sign, no space
//!   inside (surrounding whitespace is ignored), not zero, and at most [`MAX_AMOUNT`].
//!   `Ttl::parse(&t.to_string()) == Ok(t)` for every parsed `t`.
//! - [`TtlPolicy`] bounds a TTL (defaults `1h` ..= `30d`).
//! - [`extend`] moves the expiry to `max(now, current expiry) + ttl`, **capped** at
//!   `now + policy.max`, and never earlier than the current expiry.

use std::cmp::Ordering;
use std::fmt;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// The largest amount a TTL may have (`999999m` .. `999999w`); the policy maximum is usually far
/// lower. Keeps every expiry computation far from `chrono`'s limits.
pub const MAX_AMOUNT: u32 = 999_999;

/// A validated time to live, a whole number of minutes, hours, days or weeks.
///
/// Ordered by duration (`90m` < `2h`), then by unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ttl {
    amount: u32,
    unit: TtlUnit,
}

/// The unit of a [`Ttl`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TtlUnit {
    /// `m`
    Minutes,
    /// `h`
    Hours,
    /// `d`
    Days,
    /// `w`
    Weeks,
}

impl TtlUnit {
    fn seconds(self) -> i64 {
        match self {
            Self::Minutes => 60,
            Self::Hours => 3_600,
            Self::Days => 86_400,
            Self::Weeks => 604_800,
        }
    }
    fn suffix(self) -> char {
        match self {
            Self::Minutes => 'm',
            Self::Hours => 'h',
            Self::Days => 'd',
            Self::Weeks => 'w',
        }
    }
}

/// Why a TTL string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TtlError {
    /// Not `<number><unit>`.
    #[error(
        "TTL `{value}` is not valid: write a whole number and a unit, e.g. `30m`, `12h`, `7d` or `2w`"
    )]
    Syntax {
        /// The offending value.
        value: String,
    },
    /// Shorter than the policy's minimum.
    #[error("TTL `{value}` is shorter than the minimum `{min}`")]
    TooShort {
        /// The offending value.
        value: String,
        /// The policy minimum.
        min: String,
    },
    /// Longer than the policy's maximum.
    #[error("TTL `{value}` is longer than the maximum `{max}`")]
    TooLong {
        /// The offending value.
        value: String,
        /// The policy maximum.
        max: String,
    },
    /// A zero TTL, which would expire the environment immediately.
    #[error(
        "TTL `{value}` would expire the environment immediately: use a positive amount such as `1h`"
    )]
    Zero {
        /// The offending value.
        value: String,
    },
    /// An amount above [`MAX_AMOUNT`].
    #[error("TTL `{value}` is too large: use at most {max} of a unit, e.g. `30d`", max = MAX_AMOUNT)]
    Overflow {
        /// The offending value.
        value: String,
    },
    /// A policy whose minimum is above its maximum.
    #[error(
        "TTL policy minimum `{min}` is longer than its maximum `{max}`: lower `min` or raise `max`"
    )]
    InvertedPolicy {
        /// The policy minimum.
        min: String,
        /// The policy maximum.
        max: String,
    },
}

impl Ttl {
    /// Build a TTL from an amount and a unit. Amounts above [`MAX_AMOUNT`] are clamped to it so
    /// that arithmetic stays in range; zero is allowed here (use [`Ttl::parse`] for user input).
    pub const fn new(amount: u32, unit: TtlUnit) -> Self {
        let amount = if amount > MAX_AMOUNT {
            MAX_AMOUNT
        } else {
            amount
        };
        Self { amount, unit }
    }

    /// The default TTL of an environment, `7d`.
    pub const DEFAULT: Ttl = Ttl::new(7, TtlUnit::Days);

    /// Parse `<digits><m|h|d|w>` (syntax only; see [`TtlPolicy::check`] for bounds).
    ///
    /// Refuses a sign (`+1h`), spaces inside (`1 h`), upper-case units (`1H`), zero (`0h`,
    /// [`TtlError::Zero`]) and amounts above [`MAX_AMOUNT`] ([`TtlError::Overflow`]).
    /// Surrounding whitespace is ignored.
    pub fn parse(s: &str) -> Result<Self, TtlError> {
        let syntax = || TtlError::Syntax {
            value: s.to_owned(),
        };
        let s_trim = s.trim();
        let Some(unit_char) = s_trim.chars().last() else {
            return Err(syntax());
        };
        let unit = match unit_char {
            'm' => TtlUnit::Minutes,
            'h' => TtlUnit::Hours,
            'd' => TtlUnit::Days,
            'w' => TtlUnit::Weeks,
            _ => return Err(syntax()),
        };
        // The unit is one ASCII byte, so this slice is on a character boundary.
        let digits = s_trim.get(..s_trim.len() - 1).ok_or_else(syntax)?;
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(syntax());
        }
        let significant = digits.trim_start_matches('0');
        if significant.is_empty() {
            return Err(TtlError::Zero {
                value: s.to_owned(),
            });
        }
        let amount = significant
            .parse::<u32>()
            .ok()
            .filter(|&a| a <= MAX_AMOUNT)
            .ok_or_else(|| TtlError::Overflow {
                value: s.to_owned(),
            })?;
        Ok(Self { amount, unit })
    }

    /// The amount, in [`Ttl::unit`]s.
    pub const fn amount(self) -> u32 {
        self.amount
    }

    /// The unit.
    pub const fn unit(self) -> TtlUnit {
        self.unit
    }

    /// The TTL as a duration.
    pub fn duration(self) -> Duration {
        // At most 999_999 weeks (about 6e11 s), far inside chrono's range.
        Duration::seconds(i64::from(self.amount) * self.unit.seconds())
    }
}

impl PartialOrd for Ttl {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ttl {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.duration(), self.unit).cmp(&(other.duration(), other.unit))
    }
}

impl Default for Ttl {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl fmt::Display for Ttl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.amount, self.unit.suffix())
    }
}

impl std::str::FromStr for Ttl {
    type Err = TtlError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for Ttl {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Ttl {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Bounds on TTLs (defaults: at least `1h`, at most `30d`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TtlPolicy {
    /// The shortest TTL accepted.
    pub min: Ttl,
    /// The longest TTL accepted (and the longest an extension may reach from now).
    pub max: Ttl,
}

impl Default for TtlPolicy {
    fn default() -> Self {
        Self {
            min: Ttl::new(1, TtlUnit::Hours),
            max: Ttl::new(30, TtlUnit::Days),
        }
    }
}

impl TtlPolicy {
    /// A policy with the given bounds, refused when `min` is longer than `max`.
    pub fn new(min: Ttl, max: Ttl) -> Result<Self, TtlError> {
        if min.duration() > max.duration() {
            return Err(TtlError::InvertedPolicy {
                min: min.to_string(),
                max: max.to_string(),
            });
        }
        Ok(Self { min, max })
    }

    /// Check a TTL against the bounds.
    pub fn check(&self, ttl: Ttl) -> Result<Ttl, TtlError> {
        if ttl.duration() < self.min.duration() {
            return Err(TtlError::TooShort {
                value: ttl.to_string(),
                min: self.min.to_string(),
            });
        }
        if ttl.duration() > self.max.duration() {
            return Err(TtlError::TooLong {
                value: ttl.to_string(),
                max: self.max.to_string(),
            });
        }
        Ok(ttl)
    }
}

/// `t + d`, saturating at chrono's largest date instead of panicking.
fn add(t: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    t.checked_add_signed(d).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// The expiry of an environment created at `created_at` with `ttl` (saturating, never panics).
pub fn expires_at(created_at: DateTime<Utc>, ttl: Ttl) -> DateTime<Utc> {
    add(created_at, ttl.duration())
}

/// The new expiry when an environment is extended by `ttl` at `now`.
///
/// - `ttl` must pass `policy` ([`TtlPolicy::check`]), else [`TtlError::TooShort`] /
///   [`TtlError::TooLong`].
/// - The new expiry is `max(now, current_expires_at, created_at) + ttl`: time left is kept, and
///   an expired environment gets `ttl` from now (a clock behind `created_at` never moves the
///   expiry before the creation).
/// - It is **capped** (not refused) at `now + policy.max`, so repeated extends cannot push the
///   expiry further than the policy allows; a caller can tell the cap applied when the result
///   equals `now + policy.max`.
/// - It is never earlier than `current_expires_at`: when the current expiry is already beyond the
///   cap (e.g. the policy was lowered), it is kept as is.
///
/// `created_at` is only read: the caller writes the returned value to `expires_at` and leaves
/// `created_at` alone.
pub fn extend(
    created_at: DateTime<Utc>,
    current_expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
    ttl: Ttl,
    policy: &TtlPolicy,
) -> Result<DateTime<Utc>, TtlError> {
    policy.check(ttl)?;
    let base = now.max(current_expires_at).max(created_at);
    let wanted = add(base, ttl.duration());
    let cap = add(now, policy.max.duration());
    Ok(wanted.min(cap).max(current_expires_at))
}

/// `expires in 2d 3h`, `expires in 45m`, `expired 3h ago`: the two largest units among days,
/// hours and minutes, rounded down (a zero second unit is left out: `expires in 2d`). Less than a
/// minute reads `expires in <1m` / `expired <1m ago`. An environment expires at `expires_at`
/// exactly, as [`crate::domain::lifecycle::Metadata::is_expired`] says.
pub fn humanize(expires_at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    if expires_at > now {
        format!("expires in {}", two_units(expires_at - now))
    } else {
        format!("expired {} ago", two_units(now - expires_at))
    }
}

fn two_units(d: Duration) -> String {
    let minutes = d.num_minutes();
    let parts = [
        (minutes / 1_440, 'd'),
        (minutes / 60 % 24, 'h'),
        (minutes % 60, 'm'),
    ];
    let Some(first) = parts.iter().position(|&(n, _)| n > 0) else {
        return "<1m".to_owned();
    };
    let mut out = format!("{}{}", parts[first].0, parts[first].1);
    if let Some(&(n, unit)) = parts.get(first + 1).filter(|&&(n, _)| n > 0) {
        out.push_str(&format!(" {n}{unit}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn every_unit_parses_and_displays_back() {
        for (s, secs) in [
            ("30m", 1_800),
            ("12h", 43_200),
            ("7d", 604_800),
            ("2w", 1_209_600),
        ] {
            let t = Ttl::parse(s).unwrap();
            assert_eq!(t.to_string(), s);
            assert_eq!(t.duration(), Duration::seconds(secs));
        }
        assert_eq!(Ttl::parse(" 7d\n"), Ok(Ttl::new(7, TtlUnit::Days)));
        assert_eq!(
            Ttl::parse("007d").map(|t| t.to_string()),
            Ok("7d".to_owned())
        );
    }

    #[test]
    fn bad_syntax_is_refused() {
        for s in [
            "", "d", "7", "+1h", "-1h", "1 h", "1h ", "1H", "1.5h", "1hh", "h1", "1s", "٣h",
            "1\u{a0}h",
        ] {
            let r = Ttl::parse(s);
            if s == "1h " {
                assert!(r.is_ok(), "surrounding whitespace is ignored");
                continue;
            }
            assert!(
                matches!(r, Err(TtlError::Syntax { .. })),
                "{s:?} gave {r:?}"
            );
        }
    }

    #[test]
    fn zero_is_refused_with_a_clear_message() {
        for s in ["0h", "0m", "000d", "0w"] {
            assert!(matches!(Ttl::parse(s), Err(TtlError::Zero { .. })), "{s}");
        }
        assert_eq!(
            Ttl::parse("0h").unwrap_err().to_string(),
            "TTL `0h` would expire the environment immediately: use a positive amount such as `1h`"
        );
    }

    #[test]
    fn overflow_is_refused() {
        assert_eq!(Ttl::parse("999999w").map(|t| t.amount()), Ok(MAX_AMOUNT));
        for s in ["1000000h", "99999999999999999999999d", "4294967296m"] {
            assert!(
                matches!(Ttl::parse(s), Err(TtlError::Overflow { .. })),
                "{s}"
            );
        }
        assert_eq!(
            Ttl::parse("1000000h").unwrap_err().to_string(),
            "TTL `1000000h` is too large: use at most 999999 of a unit, e.g. `30d`"
        );
        assert_eq!(Ttl::new(u32::MAX, TtlUnit::Weeks).amount(), MAX_AMOUNT);
    }

    #[test]
    fn ttls_order_by_duration() {
        let p = |s| Ttl::parse(s).unwrap();
        assert!(p("90m") < p("2h"));
        assert!(p("60m") < p("1h"), "same duration: ordered by unit");
        assert!(p("1w") > p("6d"));
    }

    #[test]
    fn policy_bounds_default_to_one_hour_and_thirty_days() {
        let policy = TtlPolicy::default();
        assert!(policy.check(Ttl::parse("1h").unwrap()).is_ok());
        assert!(policy.check(Ttl::parse("30d").unwrap()).is_ok());
        assert_eq!(
            policy
                .check(Ttl::parse("59m").unwrap())
                .unwrap_err()
                .to_string(),
            "TTL `59m` is shorter than the minimum `1h`"
        );
        assert_eq!(
            policy
                .check(Ttl::parse("5w").unwrap())
                .unwrap_err()
                .to_string(),
            "TTL `5w` is longer than the maximum `30d`"
        );
        assert!(TtlPolicy::new(Ttl::parse("2d").unwrap(), Ttl::parse("1d").unwrap()).is_err());
    }

    #[test]
    fn expiry_adds_the_ttl_to_creation() {
        let t = at("2026-02-18T22:03:39Z");
        assert_eq!(
            expires_at(t, Ttl::parse("7d").unwrap()),
            at("2026-02-25T22:03:39Z")
        );
        assert_eq!(
            expires_at(t, Ttl::parse("24h").unwrap()),
            at("2026-02-19T22:03:39Z")
        );
        assert_eq!(
            expires_at(DateTime::<Utc>::MAX_UTC, Ttl::parse("1h").unwrap()),
            DateTime::<Utc>::MAX_UTC
        );
    }

    #[test]
    fn extending_a_live_environment_keeps_the_time_left() {
        // The original's example 1: expires 02-25, extend 3d while live → 02-28.
        let created = at("2026-02-18T22:03:39Z");
        let expires = at("2026-02-25T22:03:39Z");
        let now = at("2026-02-20T10:00:00Z");
        let new = extend(
            created,
            expires,
            now,
            Ttl::parse("3d").unwrap(),
            &TtlPolicy::default(),
        );
        assert_eq!(new, Ok(at("2026-02-28T22:03:39Z")));
    }

    #[test]
    fn extending_an_expired_environment_counts_from_now() {
        let created = at("2026-02-18T22:03:39Z");
        let expires = at("2026-02-25T22:03:39Z");
        let now = at("2026-03-01T12:00:00Z");
        let new = extend(
            created,
            expires,
            now,
            Ttl::parse("3d").unwrap(),
            &TtlPolicy::default(),
        );
        assert_eq!(new, Ok(at("2026-03-04T12:00:00Z")));
    }

    #[test]
    fn extending_is_capped_at_the_policy_maximum_from_now() {
        let now = at("2026-03-01T00:00:00Z");
        let expires = at("2026-03-21T00:00:00Z");
        let new = extend(
            now,
            expires,
            now,
            Ttl::parse("30d").unwrap(),
            &TtlPolicy::default(),
        );
        assert_eq!(new, Ok(at("2026-03-31T00:00:00Z")));
    }

    #[test]
    fn extending_never_shortens_an_expiry_beyond_a_lowered_cap() {
        let now = at("2026-03-01T00:00:00Z");
        let expires = at("2026-04-15T00:00:00Z");
        let new = extend(
            now,
            expires,
            now,
            Ttl::parse("1d").unwrap(),
            &TtlPolicy::default(),
        );
        assert_eq!(new, Ok(expires));
    }

    #[test]
    fn extending_refuses_a_ttl_outside_the_policy() {
        let now = at("2026-03-01T00:00:00Z");
        let r = extend(
            now,
            now,
            now,
            Ttl::parse("10m").unwrap(),
            &TtlPolicy::default(),
        );
        assert!(matches!(r, Err(TtlError::TooShort { .. })));
    }

    #[test]
    fn extending_with_a_clock_behind_creation_counts_from_creation() {
        let created = at("2026-03-01T00:10:00Z");
        let now = at("2026-03-01T00:00:00Z");
        let new = extend(
            created,
            created,
            now,
            Ttl::parse("1h").unwrap(),
            &TtlPolicy::default(),
        );
        assert_eq!(new, Ok(at("2026-03-01T01:10:00Z")));
    }

    #[test]
    fn humanize_shows_the_two_largest_units() {
        let now = at("2026-03-01T00:00:00Z");
        let cases = [
            ("2026-03-03T03:00:00Z", "expires in 2d 3h"),
            ("2026-03-03T03:59:59Z", "expires in 2d 3h"),
            ("2026-03-03T00:05:00Z", "expires in 2d"),
            ("2026-03-01T00:45:00Z", "expires in 45m"),
            ("2026-03-01T01:45:00Z", "expires in 1h 45m"),
            ("2026-03-01T00:00:30Z", "expires in <1m"),
            ("2026-03-01T00:00:00Z", "expired <1m ago"),
            ("2026-02-28T21:00:00Z", "expired 3h ago"),
            ("2026-01-30T00:00:00Z", "expired 30d ago"),
        ];
        for (expires, text) in cases {
            assert_eq!(humanize(at(expires), now), text, "{expires}");
        }
    }

    fn any_ttl() -> impl Strategy<Value = Ttl> {
        let unit = prop_oneof![
            Just(TtlUnit::Minutes),
            Just(TtlUnit::Hours),
            Just(TtlUnit::Days),
            Just(TtlUnit::Weeks)
        ];
        (1..=MAX_AMOUNT, unit).prop_map(|(a, u)| Ttl::new(a, u))
    }

    proptest! {
        #[test]
        fn parse_of_display_round_trips(t in any_ttl()) {
            prop_assert_eq!(Ttl::parse(&t.to_string()), Ok(t));
        }

        #[test]
        fn parse_never_panics_and_accepts_only_what_round_trips(s in any::<String>()) {
            if let Ok(t) = Ttl::parse(&s) {
                prop_assert_eq!(Ttl::parse(&t.to_string()), Ok(t));
                prop_assert!(t.amount() >= 1 && t.amount() <= MAX_AMOUNT);
            }
        }

        #[test]
        fn extend_is_monotonic_and_bounded(
            created in 0i64..4_000_000_000,
            left in -4_000_000i64..4_000_000_000,
            since in 0i64..8_000_000,
            t in any_ttl(),
        ) {
            let created_at = DateTime::from_timestamp(created, 0).unwrap();
            let current = created_at + Duration::seconds(left.max(0));
            let now = created_at + Duration::seconds(since);
            let policy = TtlPolicy::default();
            match extend(created_at, current, now, t, &policy) {
                Ok(new) => {
                    prop_assert!(new >= current, "earlier than the current expiry");
                    prop_assert!(new >= created_at);
                    prop_assert!(new > now);
                    prop_assert!(new <= current.max(now + policy.max.duration()));
                }
                Err(_) => prop_assert!(policy.check(t).is_err()),
            }
        }
    }
}
