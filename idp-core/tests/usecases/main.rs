//! The use cases on every backend: memory, local (a temporary directory) and, with the `aws`
//! feature and a moto server, S3 + DynamoDB. Each scenario is written once in `scenarios.rs`.
//! The provisioner, image registry and clock are the memory ones everywhere, so scenarios can
//! inject faults and move time; what differs between backends is state and locks.

mod scenarios;
mod support;

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
            use crate::scenarios;
            #[allow(unused_imports)]
            use crate::support::*;

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
