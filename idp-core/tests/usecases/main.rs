//! The use cases on every backend: memory, local (a temporary directory) and, with the `aws`
//! feature and a moto server, S3 + DynamoDB. Each scenario is written once in `scenarios.rs`.
//! The provisioner, image registry and clock are the memory ones everywhere, so scenarios can
//! inject faults and move time; what differs between backends is state and locks.

/// `scenarios_on_every_backend!(a, b, …)`: a test per scenario `async fn a(&Fixture)` of the
/// module it is used in, on memory, local and (with the `aws` feature and moto) S3 + DynamoDB.
macro_rules! scenarios_on_every_backend {
    ($($scenario:ident),* $(,)?) => {
        scenarios_on_every_backend!(@on memory, Some(Fixture::memory()), [$($scenario),*]);
        scenarios_on_every_backend!(@on local, Some(Fixture::local()), [$($scenario),*]);
        #[cfg(feature = "aws")]
        scenarios_on_every_backend!(@on moto, Fixture::moto().await, [$($scenario),*]);
    };
    (@on $backend:ident, $fixture:expr, [$($scenario:ident),* $(,)?]) => {
        mod $backend {
            #[allow(unused_imports)]
            use crate::support::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $scenario() {
                    let Some(fixture) = $fixture else { return };
                    super::$scenario(&fixture).await;
                }
            )*
        }
    };
}

mod ingress;
mod legacy;
mod regions;
mod scenarios;
mod sessions;
#[cfg(feature = "aws")]
mod spend;
mod support;
mod tokens;

#[cfg(feature = "aws")]
use idp_test_support::moto as moto_support;

/// The fixture, or return from the test when its backend is not available (moto outside CI).
macro_rules! fixture_or_skip {
    () => {
        match fixture().await {
            Some(f) => f,
            None => return,
        }
    };
}

macro_rules! usecases {
    ($backend:ident, $fixture:expr) => {
        mod $backend {
            #[allow(unused_imports)]
            use crate::support::*;
            use crate::{legacy, scenarios};

            async fn fixture() -> Option<Fixture> {
                $fixture
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn create_list_status_extend_destroy() {
                scenarios::create_list_status_extend_destroy(&fixture_or_skip!()).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn create_of_an_existing_name_is_refused() {
                scenarios::create_of_an_existing_name_is_refused(&fixture_or_skip!()).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn eight_concurrent_creates_apply_once() {
                scenarios::concurrent_creates_apply_once(&fixture_or_skip!()).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn a_failed_create_is_applied_again_by_the_next_create() {
                scenarios::a_failed_create_is_applied_again_by_the_next_create(&fixture_or_skip!())
                    .await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sixteen_concurrent_destroys_destroy_once() {
                scenarios::concurrent_destroys_destroy_once(&fixture_or_skip!()).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn eight_concurrent_pushes_provision_once_then_redeploy() {
                scenarios::concurrent_pushes_provision_once_then_redeploy(&fixture_or_skip!())
                    .await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn failed_apply_marks_failed_and_next_push_recovers() {
                scenarios::failed_apply_marks_failed_and_next_push_recovers(&fixture_or_skip!())
                    .await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn crashed_holders_lease_expires_and_next_caller_proceeds() {
                scenarios::crashed_holders_lease_expires(&fixture_or_skip!()).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn branch_collision_is_refused_and_changes_nothing() {
                scenarios::branch_collision_is_refused_and_changes_nothing(&fixture_or_skip!())
                    .await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn merge_with_branch_delete_destroys_once() {
                scenarios::merge_with_branch_delete_destroys_once(&fixture_or_skip!()).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sweep_destroys_expired_and_retries_stuck_destroys() {
                scenarios::sweep_destroys_expired_and_retries_stuck_destroys(&fixture_or_skip!())
                    .await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn destroy_removes_only_its_own_images() {
                scenarios::destroy_removes_only_its_own_images(&fixture_or_skip!()).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn the_pr_comment_is_created_edited_then_marked_destroyed_with_commit_statuses() {
                scenarios::pr_comment_lifecycle_with_commit_statuses(&fixture_or_skip!()).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn a_forge_error_is_a_notice_not_a_failed_deployment() {
                scenarios::forge_error_is_a_notice(&fixture_or_skip!()).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn extend_retags_where_tags_carry_the_expiry() {
                scenarios::extend_retags_where_tags_carry_the_expiry(&fixture_or_skip!()).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn extend_of_a_missing_or_destroyed_environment_fails() {
                scenarios::extend_of_a_missing_or_destroyed_environment_fails(&fixture_or_skip!())
                    .await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn every_original_record_is_listed_and_none_is_hidden() {
                legacy::every_original_record_is_listed_and_none_is_hidden(&fixture_or_skip!())
                    .await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn an_index_that_called_them_unreadable_heals() {
                legacy::an_index_that_called_them_unreadable_heals(&fixture_or_skip!()).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn a_dry_run_sweep_finds_expired_and_stuck_and_writes_nothing() {
                legacy::a_dry_run_sweep_finds_expired_and_stuck_and_writes_nothing(
                    &fixture_or_skip!(),
                )
                .await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn destroying_a_legacy_environment_removes_exactly_its_own() {
                legacy::destroying_a_legacy_environment_removes_exactly_its_own(
                    &fixture_or_skip!(),
                )
                .await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn extend_and_status_work_on_a_legacy_record() {
                legacy::extend_and_status_work_on_a_legacy_record(&fixture_or_skip!()).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn a_push_adopts_a_legacy_preview_and_closing_the_pr_destroys_it() {
                legacy::a_push_adopts_a_legacy_preview_and_closing_the_pr_destroys_it(
                    &fixture_or_skip!(),
                )
                .await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn migrate_killed_half_way_then_run_again_ends_the_same() {
                legacy::migrate_killed_half_way_then_run_again_ends_the_same(&fixture_or_skip!())
                    .await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn migration_racing_an_original_workflow_rereads_and_never_overwrites() {
                legacy::migration_racing_an_original_workflow_rereads_and_never_overwrites(
                    &fixture_or_skip!(),
                )
                .await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn a_thousand_original_records_are_all_listed() {
                legacy::a_thousand_original_records_are_all_listed(&fixture_or_skip!()).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn use_cases_keep_the_environment_index_in_step() {
                scenarios::use_cases_keep_the_environment_index_in_step(&fixture_or_skip!()).await;
            }
        }
    };
}

usecases!(memory, Some(Fixture::memory()));
usecases!(local, Some(Fixture::local()));
#[cfg(feature = "aws")]
usecases!(moto, Fixture::moto().await);

/// OpenTofu lock items can only be seeded in the memory lock table.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn destroy_and_unlock_handle_opentofu_lock_items() {
    scenarios::destroy_and_unlock_handle_opentofu_lock_items(&support::Fixture::memory()).await;
}

/// A static site's files reach its bucket on create and again on every push (the memory
/// deployer holds the objects).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_static_site_is_uploaded_and_invalidated_on_create_and_every_push() {
    let (fixture, deployer) = support::Fixture::memory_with_deployer();
    scenarios::a_static_site_is_uploaded_and_invalidated_on_create_and_every_push(
        &fixture, &deployer,
    )
    .await;
}

/// `status` reports the alarms the template's `alarm_names` output names, with their state and
/// reason, in that order; one deleted by hand is left out.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn status_reports_the_environments_alarms() {
    let (fixture, deployer) = support::Fixture::memory_with_deployer();
    scenarios::status_reports_the_environments_alarms(&fixture, &deployer).await;
}
