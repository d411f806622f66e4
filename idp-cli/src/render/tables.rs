//! The tabular renderings: box-drawn on a terminal, plain aligned columns when piped.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "the render modules are the one place the CLI prints"
)]

use super::print::{color, diag, json, line, text_out};
use crate::cli::Output;
use chrono::{DateTime, Utc};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use idp_core::domain::cost::format_usd;
use idp_core::domain::legacy::UNREADABLE_HINT;
use idp_core::domain::lifecycle::Metadata;
use idp_core::domain::orders::{JobErrors, OrderStatus, RunSummary, format_elapsed};
use idp_core::domain::ttl;
use idp_core::environments::cost::CostReport;
use idp_core::environments::list::{ListReport, ListRow, Unreadable};
use idp_core::repo::templates::TemplatesReport;
use idp_core::repo::templates::contract::CheckReport;
use idp_core::repo::templates::new::NewTemplateReport;
use idp_core::setup::settings::{Resolved, Setting};
use serde::Serialize;
use std::io::IsTerminal;

/// A table: box-drawn on a terminal, plain aligned columns when piped (easy to `grep`/`awk`).
pub(crate) fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    if std::io::stdout().is_terminal() {
        t.load_preset(UTF8_FULL_CONDENSED);
    } else {
        t.load_preset(comfy_table::presets::NOTHING);
    }
    t.set_header(header.iter().copied());
    t
}

/// `idp list`: a table, or a JSON array of environments.
pub(crate) fn list(report: &ListReport, now: DateTime<Utc>, out: Output) {
    if out == Output::Json {
        return json(&report.rows());
    }
    let rows = report.rows();
    if rows.is_empty() {
        return line(
            "No environments. Create one with `idp create --name NAME`, or push a branch.",
        );
    }
    let with_cost = !report.spend.is_empty();
    // A REGION column once environments run in more than one region.
    let regions: std::collections::BTreeSet<_> =
        report.environments.iter().map(|m| &m.region).collect();
    let with_region = regions.len() > 1;
    let mut headers = vec![
        "NAME", "STATUS", "TEMPLATE", "BRANCH", "ENDPOINT", "EXPIRES",
    ];
    if with_region {
        headers.insert(3, "REGION");
    }
    if with_cost {
        headers.push("THIS MONTH");
    }
    let mut t = table(&headers);
    for row in &rows {
        let mut cells = match row {
            ListRow::Record(m) => vec![
                m.name.to_string(),
                shown_status(m, now),
                m.template.to_string(),
                m.branch.clone().unwrap_or_else(|| "-".into()),
                m.endpoint.clone().unwrap_or_else(|| "-".into()),
                if m.status == idp_core::domain::lifecycle::Status::Destroyed {
                    "-".to_owned()
                } else {
                    ttl::humanize(m.expires_at, now)
                },
            ],
            ListRow::Pending(p) => vec![
                p.request.name.to_string(),
                p.status.to_owned(),
                p.request.template.to_string(),
                "-".into(),
                "-".into(),
                "-".into(),
            ],
            ListRow::Unreadable(u) => vec![
                u.name.to_owned(),
                u.status.to_owned(),
                "-".into(),
                "-".into(),
                "-".into(),
                "-".into(),
            ],
        };
        if with_region {
            let region = match row {
                ListRow::Record(m) => m.region.clone().unwrap_or_else(|| "-".into()),
                ListRow::Pending(_) | ListRow::Unreadable(_) => "-".into(),
            };
            cells.insert(3, region);
        }
        if with_cost {
            cells.push(match row {
                ListRow::Record(m) => m.spend_this_month.map_or_else(
                    || "-".to_owned(),
                    |s| match s.billed_through {
                        Some(through) => format!(
                            "{} ({} billed through {through})",
                            format_usd(s.total_usd),
                            format_usd(s.billed_usd)
                        ),
                        None => format!("{} (estimated)", format_usd(s.total_usd)),
                    },
                ),
                _ => "-".to_owned(),
            });
        }
        t.add_row(cells);
    }
    line(&t.to_string());
    unreadable(
        &report.unreadable,
        "\n{} record(s) cannot be read (shown as `unreadable`):",
    );
    if !report.pending_approval.is_empty() {
        line(&format!(
            "\n{} environment(s) wait for approval (no record, nothing applied): an admin runs `idp approve NAME`, then `idp create` proceeds",
            report.pending_approval.len()
        ));
    }
    let legacy = report.legacy();
    if legacy > 0 {
        line(&format!(
            "\n{legacy} record(s) are in the original platform's layout (`(legacy)`): idp reads and acts on them; `idp migrate` converts them"
        ));
    }
}

/// The records that cannot be read, under `heading` (`{}` is their number), with the hint.
pub(crate) fn unreadable(records: &[Unreadable], heading: &str) {
    if records.is_empty() {
        return;
    }
    line(&heading.replace("{}", &records.len().to_string()));
    for u in records {
        line(&format!("  unreadable {}: {}", u.key, u.reason));
    }
    line(&format!("  {UNREADABLE_HINT}"));
}

pub(crate) fn shown_status(m: &Metadata, now: DateTime<Utc>) -> String {
    let status = if m.is_expired(now) && m.status == idp_core::domain::lifecycle::Status::Active {
        "expired".to_owned()
    } else {
        m.status.to_string()
    };
    if m.is_legacy() {
        format!("{status} (legacy)")
    } else {
        status
    }
}

/// `idp templates`.
pub(crate) fn templates(report: &TemplatesReport, out: Output) {
    for bad in &report.invalid {
        diag(&format!(
            "warning: `{}`: {}",
            bad.path.display(),
            bad.reason
        ));
    }
    if out == Output::Json {
        return json(report);
    }
    if report.templates.is_empty() {
        return line(&format!("No templates in `{}`.", report.dir.display()));
    }
    let teams = !report.team_dirs.is_empty();
    let mut headers = vec!["NAME", "COST/HOUR", "OUTPUTS", "DESCRIPTION"];
    if teams {
        headers.push("FROM");
    }
    let mut t = table(&headers);
    for m in &report.templates {
        let mut row = vec![
            m.name.clone(),
            m.hourly_cost_usd
                .map_or_else(|| "-".to_owned(), |c| format!("${c:.4}")),
            m.outputs.join(", "),
            m.description.clone(),
        ];
        if teams {
            let from = m.dir.as_ref().and_then(|d| d.parent());
            row.push(if from == Some(report.dir.as_path()) {
                "platform".to_owned()
            } else {
                from.map(|d| d.display().to_string()).unwrap_or_default()
            });
        }
        t.add_row(row);
    }
    line(&t.to_string());
}

/// `idp templates new`.
pub(crate) fn template_created(report: &NewTemplateReport, out: Output) {
    if out == Output::Json {
        return json(report);
    }
    let from = report
        .from
        .as_ref()
        .map_or_else(|| "the skeleton".to_owned(), |f| format!("`{f}`"));
    line(&format!(
        "Created template `{}` in `{}` from {from}: {}.",
        report.manifest.name,
        report.dir.display(),
        report.files.join(", ")
    ));
    line(
        "It meets the template contract. Edit main.tf, then run `idp templates check` and `idp templates`.",
    );
}

/// `idp templates check`.
pub(crate) fn templates_checked(report: &CheckReport, out: Output) {
    if out == Output::Json {
        return json(report);
    }
    for t in &report.templates {
        for v in &t.violations {
            diag(&v.to_string());
        }
    }
    let mut t = table(&["TEMPLATE", "RESULT", "FOLDER"]);
    for c in &report.templates {
        t.add_row(vec![
            c.name.clone(),
            if c.violations.is_empty() {
                "meets the contract".to_owned()
            } else {
                format!("{} problem(s)", c.violations.len())
            },
            c.dir.display().to_string(),
        ]);
    }
    line(&t.to_string());
}

/// `idp cost`.
pub(crate) fn cost(report: &CostReport, out: Output) {
    if out == Output::Json {
        return json(report);
    }
    let e = &report.estimate;
    let what = match &report.name {
        Some(name) => format!("`{name}` (template `{}`)", report.template),
        None => format!("template `{}`", report.template),
    };
    line(&format!(
        "Estimated cost of {what} in {}, {} CPU / {} MiB{}:",
        report.region,
        report.cpu,
        report.memory,
        if report.shared_networking {
            ", shared networking"
        } else {
            ""
        }
    ));
    let mut t = table(&["ITEM", "USD/HOUR"]);
    for (item, usd) in &e.breakdown {
        t.add_row(vec![item.clone(), format!("{usd:.4}")]);
    }
    line(&t.to_string());
    line(&format!(
        "  per hour:  {}",
        idp_core::domain::cost::format_usd(e.hourly_usd)
    ));
    line(&format!(
        "  lifetime:  {} over {:.1} h",
        idp_core::domain::cost::format_usd(e.total_usd),
        e.hours
    ));
    if let (Some(h), Some(usd)) = (report.elapsed_hours, report.to_date_usd) {
        line(&format!(
            "  so far:    {} over {h:.1} h",
            idp_core::domain::cost::format_usd(usd)
        ));
    }
    line(&format!(
        "  per month: {}",
        idp_core::domain::cost::format_usd(e.monthly_usd)
    ));
    let usd = idp_core::domain::cost::format_usd;
    match &report.spend {
        Some(s) => {
            match s.billed_through {
                Some(day) => line(&format!(
                    "  billed:    {} in {} (Cost Explorer, through {day})",
                    usd(s.billed_usd),
                    s.month
                )),
                None if report.actuals_usd.is_some() => line(&format!(
                    "  billed:    nothing yet in {} (Cost Explorer lags about a day)",
                    s.month
                )),
                None => line(&format!("  billed:    unknown ({})", report.actuals_note)),
            }
            line(&format!(
                "  unbilled:  {} (estimated, the hours after the last billed day)",
                usd(s.unbilled_estimate_usd)
            ));
            match s.daily_burn_usd {
                Some(burn) => line(&format!("  burn:      {}/day (billed average)", usd(burn))),
                None => line("  burn:      unknown (no billed day yet)"),
            }
            line(&format!(
                "  projected: {} to expiry, {} to the end of {}",
                usd(s.projected_to_expiry_usd),
                usd(s.projected_month_end_usd),
                s.month
            ));
        }
        None => match report.actuals_usd {
            Some(v) => line(&format!("  actual:    {}", usd(v))),
            None => line(&format!("  actual:    unknown ({})", report.actuals_note)),
        },
    }
    for a in &report.assumptions {
        diag(&format!("note: {a}"));
    }
}

/// `idp cost --by`.
pub(crate) fn chargeback(
    report: &idp_core::environments::cost::ChargebackReport,
    format: crate::cli::CostFormat,
    out: Output,
) {
    use crate::cli::CostFormat;
    let usd = idp_core::domain::cost::format_usd;
    if out == Output::Json || format == CostFormat::Json {
        return json(report);
    }
    if format == CostFormat::Csv {
        return text_out(&idp_core::environments::cost::chargeback_csv(
            &report.month,
            &report.rows,
        ));
    }
    line(&format!(
        "Spend in {} by {}:",
        report.month,
        report.by.as_str()
    ));
    let mut t = table(&[
        &report.by.as_str().to_uppercase(),
        "ENVIRONMENTS",
        "BILLED",
        "UNBILLED (EST.)",
        "TOTAL",
    ]);
    for r in &report.rows {
        t.add_row(vec![
            r.key.clone(),
            r.environments.to_string(),
            usd(r.billed_usd),
            usd(r.unbilled_estimate_usd),
            usd(r.total_usd),
        ]);
    }
    line(&t.to_string());
    if report.untagged_usd > 0.0 {
        line(&format!(
            "  untagged:  {} billed without an `idp:environment` tag",
            usd(report.untagged_usd)
        ));
    }
    if report.unknown_environments_usd > 0.0 {
        line(&format!(
            "  unknown:   {} billed to environments idp has no record of",
            usd(report.unknown_environments_usd)
        ));
    }
    diag(&format!("note: {}", report.note));
}

/// `idp cost export`.
pub(crate) fn cost_export(report: &idp_core::environments::cost::ExportReport, out: Output) {
    if out == Output::Json {
        return json(report);
    }
    line(&format!(
        "Wrote the chargeback of {} ({} rows):",
        report.month,
        report.rows.len()
    ));
    for url in &report.written {
        line(&format!("  {url}"));
    }
    diag(&format!("note: {}", report.note));
}

/// `idp config list`.
pub(crate) fn settings(resolved: &Resolved, file: &std::path::Path, out: Output) {
    if out == Output::Json {
        #[derive(Serialize)]
        struct List<'a> {
            file: &'a std::path::Path,
            settings: &'a [Setting],
        }
        return json(&List {
            file,
            settings: &resolved.settings,
        });
    }
    let mut t = table(&["KEY", "VALUE", "SOURCE", "ENV"]);
    for s in &resolved.settings {
        t.add_row(vec![
            s.key.as_str().to_owned(),
            s.value.clone().unwrap_or_else(|| "-".into()),
            s.source.map_or("-", |x| x.as_str()).to_owned(),
            s.env.to_owned(),
        ]);
    }
    line(&t.to_string());
    diag(&format!(
        "settings file: {} (precedence: flag > env > file > default)",
        file.display()
    ));
}

/// A job file's problems: one `file: problem` line each on stderr, then a count; with
/// `--output json` also an `invalid_input` error document listing them as hints.
pub(crate) fn run_invalid(errors: &JobErrors, out: Output) {
    for problem in &errors.errors {
        eprintln!("{}: {problem}", errors.file);
    }
    eprintln!("{}: {} problem(s) found", errors.file, errors.errors.len());
    if out == Output::Json {
        json(&serde_json::json!({
            "error": {
                "kind": "invalid_input",
                "message": format!("job file `{}` is invalid", errors.file),
                "hints": errors.errors.iter().map(ToString::to_string).collect::<Vec<_>>(),
            }
        }));
    }
}

pub(crate) fn order_status_cell(status: OrderStatus) -> String {
    let text = status.as_str();
    if !color() {
        return text.to_owned();
    }
    let code = match status {
        OrderStatus::Succeeded => "32",
        OrderStatus::Failed | OrderStatus::TimedOut => "31",
        OrderStatus::Skipped | OrderStatus::Cancelled => "2",
        OrderStatus::Pending | OrderStatus::Running => "33",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

/// A run: a table of its orders and the output of those that failed, or the summary as JSON
/// (`{run_id, status, orders: [{name, status, exit_code, duration_ms, log_excerpt}]}`).
/// `idp run cancel`.
pub(crate) fn run_cancelled(report: &idp_core::runs::CancelReport, out: Output) {
    if out == Output::Json {
        return json(report);
    }
    diag(&match report.outcome {
        idp_core::runs::CancelOutcome::Cancelled => {
            format!("Run `{}` cancelled.", report.run_id)
        }
        idp_core::runs::CancelOutcome::Requested => format!(
            "Cancel of run `{}` requested: the orchestrator driving it stops it within one poll.",
            report.run_id
        ),
        idp_core::runs::CancelOutcome::Finished => {
            format!(
                "Run `{}` had already ended; nothing changed.",
                report.run_id
            )
        }
    });
    run_summary(&report.summary, out);
}

pub(crate) fn run_summary(summary: &RunSummary, out: Output) {
    if out == Output::Json {
        return json(summary);
    }
    let mut t = table(&["ORDER", "STATUS", "EXIT", "DURATION"]);
    for order in &summary.orders {
        t.add_row(vec![
            order.name.clone(),
            order_status_cell(order.status),
            order
                .exit_code
                .map_or_else(|| "-".to_owned(), |c| c.to_string()),
            order
                .duration_ms
                .map_or_else(|| "-".to_owned(), format_elapsed),
        ]);
    }
    line(&t.to_string());
    for order in &summary.orders {
        if matches!(order.status, OrderStatus::Failed | OrderStatus::TimedOut)
            && !order.log_excerpt.is_empty()
        {
            line(&format!("\n--- {} ({}):", order.name, order.status));
            line(order.log_excerpt.trim_end());
        }
    }
    line(&format!(
        "\nrun {}: {} ({} of {} orders succeeded)",
        summary.run_id,
        summary.status,
        summary.count(OrderStatus::Succeeded),
        summary.orders.len()
    ));
}

/// One order's stored output (as is), or `{run_id, order, log}`.
pub(crate) fn run_log(run_id: &str, order: &str, log: &str, out: Output) {
    if out == Output::Json {
        return json(&serde_json::json!({"run_id": run_id, "order": order, "log": log}));
    }
    text_out(log);
}
