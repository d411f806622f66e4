//! The budgets suite on every adapter: memory, and AWS Budgets + SNS on moto. The local
//! backend has no budgets (`NoBudgets`), so it is not here.

use std::sync::Arc;

use idp_core::adapters::memory::MemoryBudgets;
use idp_core::ports::budgets::Budgets;

use crate::suites::budgets::BudgetCaps;

/// `budgets_conformance!(adapter => factory; rules…)`: one test per rule, named
/// `budgets::<adapter>::<rule>`; `factory` returns `Option<(port, caps)>` (`None`: skipped
/// outside CI, after a loud line).
macro_rules! budgets_conformance {
    ($($(#[$meta:meta])* $adapter:ident => $factory:path),* ; $rules:tt) => {
        $( budgets_conformance!(@adapter [$(#[$meta])*], $adapter, $factory, $rules); )*
    };
    (@adapter [$(#[$meta:meta])*], $adapter:ident, $factory:path, [$($test:ident),* $(,)?]) => {
        $(#[$meta])*
        mod $adapter {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let Some((port, caps)) = $factory().await else { return };
                    $crate::suites::budgets::$test(port, caps).await;
                }
            )*
        }
    };
}

pub(crate) async fn memory() -> Option<(Arc<dyn Budgets>, BudgetCaps)> {
    let budgets = Arc::new(MemoryBudgets::new());
    let handle = budgets.clone();
    Some((
        budgets,
        BudgetCaps {
            updates_limits: true,
            confirm: Arc::new(move |topic, email| handle.confirm(topic, email)),
        },
    ))
}

#[cfg(feature = "aws")]
pub(crate) async fn moto() -> Option<(Arc<dyn Budgets>, BudgetCaps)> {
    let moto = idp_test_support::moto::Moto::new(&crate::moto::endpoint()?).await;
    Some((
        Arc::new(moto.budgets_adapter()),
        BudgetCaps {
            // moto 5.2 implements CreateBudget, DescribeBudget(s), DeleteBudget and the
            // notification calls, but not UpdateBudget.
            updates_limits: false,
            // moto confirms email subscriptions at once.
            confirm: Arc::new(|_, _| {}),
        },
    ))
}

mod budgets {
    budgets_conformance!(
        memory => crate::budget_adapters::memory,
        #[cfg(feature = "aws")]
        moto => crate::budget_adapters::moto;
        [a_created_budget_is_listed_with_its_limit_owners_and_thresholds,
        creating_an_existing_budget_is_already_exists_and_changes_nothing,
        updating_thresholds_replaces_the_notifications,
        updating_the_limit_and_owners_changes_them,
        updating_or_deleting_a_missing_budget_is_not_found,
        delete_removes_the_budget,
        listing_returns_only_the_prefix_sorted,
        the_topic_is_created_once_and_keeps_each_address_once,
    ]);
}
