//! Time to live: parsing `30m`/`12h`/`7d`/`2w`, bounds, expiry arithmetic and human formatting.
//!
//! An environment's lifetime is derived from `created_at` and `expires_at`; no `ttl` value is
//! stored. Extending keeps `created_at` and moves `expires_at`.

use std::fmt;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// A validated time to live, a whole number of minutes, hours, days or weeks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
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
    #[error("TTL `{value}` is not valid: write a whole number and a unit, e.g. `30m`, `12h`, `7d` or `2w`")]
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
}

impl Ttl {
    /// Build a TTL from an amount and a unit.
    pub const fn new(amount: u32, unit: TtlUnit) -> Self {
        Self { amount, unit }
    }

    /// The default TTL of an environment, `7d`.
    pub const DEFAULT: Ttl = Ttl::new(7, TtlUnit::Days);

    /// Parse `<digits><m|h|d|w>` (syntax only; see [`TtlPolicy::check`] for bounds).
    pub fn parse(s: &str) -> Result<Self, TtlError> {
        let syntax = || TtlError::Syntax {
            value: s.to_owned(),
        };
        let s_trim = s.trim();
        let (digits, unit) = s_trim.split_at(s_trim.len().saturating_sub(1));
        let unit = match unit {
            "m" => TtlUnit::Minutes,
            "h" => TtlUnit::Hours,
            "d" => TtlUnit::Days,
            "w" => TtlUnit::Weeks,
            _ => return Err(syntax()),
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 6 {
            return Err(syntax());
        }
        let amount = digits.parse().map_err(|_| syntax())?;
        Ok(Self { amount, unit })
    }

    /// The TTL as a duration.
    pub fn duration(self) -> Duration {
        Duration::seconds(i64::from(self.amount) * self.unit.seconds())
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

/// The expiry of an environment created at `created_at` with `ttl`.
pub fn expires_at(created_at: DateTime<Utc>, ttl: Ttl) -> DateTime<Utc> {
    created_at + ttl.duration()
}
