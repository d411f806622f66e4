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
        "", "d", "7", "+1h", "-1h", "1 h", "1h ", "1H", "1.5h", "1hh", "h1", "1s", "٣h", "1\u{a0}h",
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
    // Expires 02-25, extend 3d while live → 02-28.
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

#[test]
fn since_is_an_rfc3339_time_or_a_duration_back_from_now() {
    let now: DateTime<Utc> = "2026-03-01T12:00:00Z".parse().unwrap();
    assert_eq!(
        since("10m", now).unwrap(),
        "2026-03-01T11:50:00Z".parse::<DateTime<Utc>>().unwrap()
    );
    assert_eq!(
        since("2026-02-28T00:00:00+01:00", now).unwrap(),
        "2026-02-27T23:00:00Z".parse::<DateTime<Utc>>().unwrap()
    );
    assert!(matches!(
        since("yesterday", now),
        Err(TtlError::Syntax { .. })
    ));
    assert!(matches!(since("0h", now), Err(TtlError::Zero { .. })));
}
