//! Time to live: parsing `30m`/`12h`/`7d`/`2w`, bounds, expiry arithmetic and human formatting.
//!
//! An environment's lifetime is derived from `created_at` and `expires_at`; no `ttl` value is
//! stored. Extending keeps `created_at` and moves `expires_at`, so the creation time survives
//! every push.
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

/// Where a log read starts: `text` is an RFC 3339 time, or a duration back from `now` in TTL
/// syntax (`10m`, `2h`, `1d`). Anything else is the duration's [`TtlError`].
pub fn since(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, TtlError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text.trim()) {
        return Ok(t.with_timezone(&Utc));
    }
    let back = Ttl::parse(text)?.duration();
    Ok(now
        .checked_sub_signed(back)
        .unwrap_or(DateTime::<Utc>::MIN_UTC))
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
mod tests;
