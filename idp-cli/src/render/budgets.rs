//! `idp budgets` and `idp budgets sync`.

use idp_core::budgets::show::BudgetsReport;
use idp_core::budgets::sync::{Change, SyncReport};
use idp_core::domain::cost::format_usd;

use super::{diag, json, line, table};
use crate::cli::Output;

fn change(c: Change) -> &'static str {
    match c {
        Change::Created => "created",
        Change::Updated => "updated",
        Change::Deleted => "deleted",
        Change::Unchanged => "unchanged",
    }
}

pub(crate) fn budgets(report: &BudgetsReport, out: Output) {
    if out == Output::Json {
        return json(report);
    }
    for notice in &report.notices {
        diag(&format!("note: {notice}"));
    }
    if report.budgets.is_empty() {
        line("No budgets.");
        return;
    }
    line(&format!("Budgets for {}:", report.month.format("%B %Y")));
    let mut t = table(&["BUDGET", "LIMIT", "SPENT", "%", "REMAINING", "ALERTS AT"]);
    for b in &report.budgets {
        t.add_row(vec![
            b.scope.to_string().replace('`', ""),
            format_usd(b.limit_usd),
            format_usd(b.spent_usd),
            format!("{:.1}%", b.percent),
            if b.remaining_usd < 0.0 {
                format!("-{}", format_usd(-b.remaining_usd))
            } else {
                format_usd(b.remaining_usd)
            },
            b.alert_at
                .iter()
                .map(|p| format!("{p}%"))
                .collect::<Vec<_>>()
                .join(", "),
        ]);
    }
    line(&t.to_string());
    line(&format!("Spent: {}.", report.spend_source));
}

pub(crate) fn budgets_synced(report: &SyncReport, out: Output) {
    if out == Output::Json {
        return json(report);
    }
    line(&format!(
        "Policy `{}`: {}.",
        report.policy_key,
        change(report.policy)
    ));
    for b in &report.budgets {
        line(&format!("Budget `{}`: {}.", b.name, change(b.change)));
    }
    if let Some(topic) = &report.topic {
        line(&format!("Alerts go to `{topic}`."));
    }
    for s in &report.subscriptions {
        line(&format!(
            "Subscription `{}`: {}.",
            s.email,
            change(s.change)
        ));
    }
    for notice in &report.notices {
        diag(&format!("note: {notice}"));
    }
    if !report.changed() {
        line("Nothing to change.");
    }
}
