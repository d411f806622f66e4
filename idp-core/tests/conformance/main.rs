//! Conformance suites: the contract of every port, written once and run against every adapter.
//!
//! `suites/<port>.rs` holds one async function per rule, taking the port as `Arc<dyn Port>` plus
//! explicit capabilities ([`adapters::Caps`]) and a [`adapters::Seed`] for test data the port itself
//! cannot write. `adapters.rs` instantiates every suite per adapter with [`conformance!`], one
//! `#[tokio::test]` per rule, named `<adapter>::<port>::<rule>`. Race tests are named `race_*`:
//! `cargo test -p idp-core --test conformance race` runs only them.

mod processes;

mod suites {
    pub(crate) mod billing;
    pub(crate) mod budgets;
    pub(crate) mod deployer;
    pub(crate) mod executor;
    pub(crate) mod forge;
    pub(crate) mod image_registry;
    pub(crate) mod lock_table;
    pub(crate) mod log_source;
    pub(crate) mod object_store;
    pub(crate) mod provisioner;
    pub(crate) mod secret_source;
}

/// Instantiates every suite for one adapter: `conformance!(name, factory)`, where `factory` is an
/// `async fn() -> Fixture` (or `-> Option<Fixture>`) path returning a fresh, empty backend for
/// every test.
macro_rules! conformance {
    ($adapter:ident, $factory:path) => {
        mod $adapter {
            conformance!(@suite $factory, object_store, |f| (f.store.clone(), f.store_handle.clone(), &f.caps);
                get_returns_the_bytes_and_etag_put_wrote,
                get_and_head_of_a_missing_key_are_not_found,
                head_agrees_with_get,
                etag_changes_when_content_changes,
                create_only_put_on_an_existing_key_is_already_exists_and_changes_nothing,
                if_match_with_the_current_etag_writes,
                stale_if_match_fails_and_leaves_the_object_unchanged,
                if_match_on_a_missing_key_is_not_found,
                overwrite_always_writes,
                delete_removes_and_deleting_a_missing_key_succeeds,
                delete_prefix_of_a_folder_leaves_a_sibling_with_a_longer_name,
                listing_is_sorted_and_limited_to_the_prefix,
                pagination_returns_every_key_exactly_once,
                hostile_keys_are_rejected_or_stored_literally,
                race_create_only_puts_have_exactly_one_winner,
                race_if_match_puts_from_one_etag_have_exactly_one_winner,
            );
            conformance!(@suite $factory, lock_table, |f| (f.locks.clone(), f.locks_handle.clone(), f.seed.clone(), &f.caps);
                acquire_on_a_free_key_grants_a_lease_until_now_plus_ttl,
                acquire_of_a_live_lease_is_held_naming_the_holder,
                expired_lease_is_acquirable_by_another_owner,
                renew_by_the_holder_moves_the_expiry,
                renew_of_a_replaced_or_released_lease_is_refused,
                release_by_a_non_owner_is_refused_and_keeps_the_lease,
                release_frees_the_key_once,
                force_unlock_returns_the_holder_and_frees_the_key,
                list_returns_stored_leases_under_a_prefix_sorted,
                terraform_lock_items_are_read_and_removed,
                malformed_terraform_lock_is_reported_and_still_removable,
                unlock_removes_the_terraform_lock_but_keeps_the_digest,
                race_acquire_has_exactly_one_holder,
                race_acquire_of_an_expired_lease_has_exactly_one_holder,
            );
            conformance!(@suite $factory, deployer, |f| (f.deployer.clone(), f.seed.clone(), &f.caps);
                unknown_service_is_not_found,
                seeded_service_is_described_steady,
                force_new_deployment_starts_a_new_deployment_each_time,
                alarms_are_read_by_name_with_their_state_and_reason,
            );
            conformance!(@suite $factory, log_source, |f| (f.logs.clone(), f.seed.clone(), &f.caps);
                unknown_group_is_not_found,
                events_come_oldest_first_within_the_window,
                filter_pattern_terms_must_all_appear,
                limited_pages_return_every_event_once,
            );
            conformance!(@suite $factory, image_registry, |f| (f.registry.clone(), f.seed.clone(), &f.caps);
                unknown_repository_is_not_found,
                listed_images_are_the_pushed_tags_sorted,
                delete_removes_exact_tags_only,
                deleting_missing_tags_reports_them_as_failed,
                deleting_more_than_one_request_of_tags_deletes_them_all,
            );
        }
    };
    (@suite $factory:path, $suite:ident, |$f:ident| $args:tt; $($test:ident),* $(,)?) => {
        mod $suite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $test() {
                    // A factory returns a `Fixture`, or `Option<Fixture>` when its backend may be
                    // absent (moto outside CI: the factory prints why and the test returns).
                    let Some($f): Option<$crate::adapters::Fixture> = $factory().await.into() else { return };
                    $crate::suites::$suite::$test $args.await;
                }
            )*
        }
    };
}

/// Instantiates the suite of a port whose adapters are not part of a [`adapters::Fixture`]
/// (the executor, the provisioner): `port_conformance!(port, [rules…]; adapter => factory, …)`,
/// where `factory` is an `async fn()` returning `(port, setup, guard)`; an adapter may carry
/// attributes (`#[cfg(feature = "kubernetes")] kubernetes => …`). Tests are named
/// `<port>::<adapter>::<rule>`.
macro_rules! port_conformance {
    ($port:ident, $rules:tt; $($(#[$meta:meta])* $adapter:ident => $factory:path),* $(,)?) => {
        mod $port {
            $( port_conformance!(@adapter $port, [$(#[$meta])*], $adapter, $factory, $rules); )*
        }
    };
    (@adapter $port:ident, [$(#[$meta:meta])*], $adapter:ident, $factory:path, [$($test:ident),* $(,)?]) => {
        $(#[$meta])*
        mod $adapter {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $test() {
                    let (port, setup, _guard) = $factory().await;
                    $crate::suites::$port::$test(port, setup).await;
                }
            )*
        }
    };
}

mod adapters;
#[cfg(feature = "aws")]
mod aws_specific;
mod billing;
mod budget_adapters;
mod secret_sources;
use idp_test_support::fake_tofu;
mod forges;
#[cfg(feature = "github")]
use idp_test_support::github_fake;
#[cfg(feature = "aws")]
mod moto;
#[cfg(feature = "aws")]
mod reaper;
