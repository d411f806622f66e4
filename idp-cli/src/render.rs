//! Printing: data to stdout, diagnostics to stderr; JSON as one document with stable fields.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "this module is the one place the CLI prints"
)]

use std::io::IsTerminal;

use idp_core::error::Error;
use serde::Serialize;

use crate::cli::Output;

/// Print a JSON document on stdout.
pub(crate) fn json<T: Serialize>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => println!("{text}"),
        Err(e) => eprintln!("error: cannot serialize the result: {e}"),
    }
}

/// Print a line of data on stdout.
pub(crate) fn line(text: &str) {
    println!("{text}");
}

/// Print a diagnostic on stderr.
pub(crate) fn diag(text: &str) {
    eprintln!("{text}");
}

/// Whether stderr is a terminal that accepts colours (never with `NO_COLOR`).
pub(crate) fn color() -> bool {
    std::io::stderr().is_terminal()
        && idp_core::setup::env_vars::get(idp_core::setup::env_vars::EnvVars::NO_COLOR).is_none()
}

/// Print an error: `error: ...` plus `hint:` lines on stderr, and under `--output json` also an
/// `{"error": {"kind", "message", "hints"}}` document on stdout.
pub(crate) fn error(err: &Error, out: Output) {
    failure(err.kind().as_str(), &err.to_string(), &err.hints(), out);
}

/// Print a failure that is not an idp-core error (e.g. a setting that is not set), in the same
/// shape as [`error`]: `kind` must be one of the stable error kinds.
pub(crate) fn failure(kind: &str, message: &str, hints: &[String], out: Output) {
    let prefix = if color() {
        "\x1b[1;31merror\x1b[0m"
    } else {
        "error"
    };
    eprintln!("{prefix}: {message}");
    for hint in hints {
        eprintln!("  hint: {hint}");
    }
    if out == Output::Json {
        #[derive(Serialize)]
        struct Body<'a> {
            error: Inner<'a>,
        }
        #[derive(Serialize)]
        struct Inner<'a> {
            kind: &'a str,
            message: String,
            hints: Vec<String>,
        }
        json(&Body {
            error: Inner {
                kind,
                message: message.to_owned(),
                hints: hints.to_vec(),
            },
        });
    }
}

use chrono::{DateTime, Utc};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use idp_core::domain::lifecycle::Metadata;
use idp_core::domain::ttl;
use idp_core::environments::cost::CostReport;
use idp_core::environments::dashboard::DashboardReport;
use idp_core::environments::list::ListReport;
use idp_core::environments::logs::LogsReport;
use idp_core::environments::status::StatusReport;
use idp_core::environments::sweep::SweepReport;
use idp_core::environments::unlock::UnlockReport;
use idp_core::github::dispatch::ViaGithubReport;
use idp_core::repo::scaffold::InitReport;
use idp_core::repo::templates::TemplatesReport;
use idp_core::setup::credentials::TokenSource;
use idp_core::setup::settings::{Key, Resolved, Setting};
use idp_core::support::report::ChangeReport;

/// A table: box-drawn on a terminal, plain aligned columns when piped (easy to `grep`/`awk`).
fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    if std::io::stdout().is_terminal() {
        t.load_preset(UTF8_FULL_CONDENSED);
    } else {
        t.load_preset(comfy_table::presets::NOTHING);
    }
    t.set_header(header.iter().copied());
    t
}

/// A mutating command's report.
pub(crate) fn change(report: &ChangeReport, out: Output) {
    if out == Output::Json {
        return json(report);
    }
    let name = report.name.as_deref().unwrap_or("-");
    match (&report.reason, report.outcome) {
        (Some(reason), idp_core::support::report::Outcome::NoOp) => {
            line(&format!("no-op: {reason}"))
        }
        _ => {
            let verb = report.outcome.code();
            line(&format!("{verb}: {name}"));
            if let Some(meta) = &report.environment {
                line(&format!("  status:   {}", meta.status));
                line(&format!(
                    "  expires:  {}",
                    meta.expires_at.format("%Y-%m-%d %H:%M UTC")
                ));
            }
            if let Some(endpoint) = &report.endpoint {
                line(&format!("  endpoint: {endpoint}"));
            }
            if let Some(c) = &report.cleanup {
                line(&format!(
                    "  cleaned:  {} state objects, {} images, terraform lock {}",
                    c.state_objects_deleted,
                    c.images_deleted.len(),
                    if c.terraform_lock_removed {
                        "removed"
                    } else {
                        "none"
                    }
                ));
            }
        }
    }
}

/// `idp list`: a table, or a JSON array of environments.
pub(crate) fn list(report: &ListReport, now: DateTime<Utc>, out: Output) {
    if out == Output::Json {
        return json(&report.environments);
    }
    for bad in &report.unreadable {
        diag(&format!(
            "warning: cannot read `{}`: {}",
            bad.key, bad.reason
        ));
    }
    if report.environments.is_empty() {
        return line(
            "No environments. Create one with `idp create --name NAME`, or push a branch.",
        );
    }
    let mut t = table(&[
        "NAME", "STATUS", "TEMPLATE", "BRANCH", "ENDPOINT", "EXPIRES",
    ]);
    for m in &report.environments {
        t.add_row(vec![
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
        ]);
    }
    line(&t.to_string());
}

fn shown_status(m: &Metadata, now: DateTime<Utc>) -> String {
    if m.is_expired(now) && m.status == idp_core::domain::lifecycle::Status::Active {
        "expired".to_owned()
    } else {
        m.status.to_string()
    }
}

/// `idp status`.
pub(crate) fn status(report: &StatusReport, out: Output) {
    if out == Output::Json {
        return json(report);
    }
    let m = &report.environment;
    line(&format!("{} ({})", m.name, m.status));
    line(&format!("  template:  {}", m.template));
    line(&format!("  owner:     {}", m.owner));
    if let Some(b) = &m.branch {
        line(&format!("  branch:    {b}"));
    }
    line(&format!(
        "  endpoint:  {}",
        m.endpoint.as_deref().unwrap_or("-")
    ));
    line(&format!(
        "  created:   {}",
        m.created_at.format("%Y-%m-%d %H:%M UTC")
    ));
    line(&format!(
        "  expires:   {} ({})",
        m.expires_at.format("%Y-%m-%d %H:%M UTC"),
        report.expires
    ));
    if let Some(rt) = &report.runtime {
        line(&format!(
            "  runtime:   {}",
            serde_json::to_string(rt).unwrap_or_default()
        ));
    }
    if let Some(svc) = &report.service {
        line(&format!(
            "  service:   {} desired, {} running, {} pending",
            svc.desired, svc.running, svc.pending
        ));
    }
    for w in &report.warnings {
        diag(&format!("warning: {w}"));
    }
}

/// `idp logs`: one line per event.
pub(crate) fn logs(report: &LogsReport, out: Output) {
    for e in &report.events {
        if out == Output::Json {
            match serde_json::to_string(e) {
                Ok(text) => line(&text),
                Err(err) => diag(&format!("error: {err}")),
            }
        } else {
            line(&format!(
                "{} {}",
                e.timestamp.format("%Y-%m-%dT%H:%M:%S%.3fZ"),
                e.message
            ));
        }
    }
}

/// `idp sweep`.
pub(crate) fn sweep(report: &SweepReport, out: Output) {
    if out == Output::Json {
        return json(report);
    }
    let verb = if report.dry_run {
        "would destroy"
    } else {
        "destroyed"
    };
    line(&format!("examined {} environments", report.examined));
    for a in &report.actions {
        let reason = a.reason.code();
        line(&format!("  {verb} {} ({reason})", a.name));
    }
    for e in &report.errors {
        diag(&format!("error: {}: {}", e.name, e.message));
    }
}

/// Who holds an environment's locks (shown before asking to break them).
pub(crate) fn holders(report: &UnlockReport) {
    if let Some(l) = &report.lease {
        diag(&format!(
            "lease held by `{}` until {}",
            l.owner, l.expires_at
        ));
    }
    if let Some(t) = &report.terraform_lock {
        diag(&format!(
            "OpenTofu lock `{}` by `{}` ({}, created {})",
            t.id,
            t.who,
            t.operation,
            t.created
                .map(|c| c.to_rfc3339())
                .unwrap_or_else(|| "?".into())
        ));
    }
}

/// `idp unlock`.
pub(crate) fn unlock(report: &UnlockReport, out: Output) {
    if out == Output::Json {
        return json(report);
    }
    if report.unlocked {
        line(&format!("unlocked {}", report.name));
    } else if report.lease.is_none() && report.terraform_lock.is_none() {
        line(&format!("{} is not locked", report.name));
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
    let mut t = table(&["NAME", "COST/HOUR", "OUTPUTS", "DESCRIPTION"]);
    for m in &report.templates {
        t.add_row(vec![
            m.name.clone(),
            m.hourly_cost_usd
                .map_or_else(|| "-".to_owned(), |c| format!("${c:.4}")),
            m.outputs.join(", "),
            m.description.clone(),
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
        "Estimated cost of {what}, {} CPU / {} MiB{}:",
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
    match report.actuals_usd {
        Some(usd) => line(&format!(
            "  actual:    {}",
            idp_core::domain::cost::format_usd(usd)
        )),
        None => line(&format!("  actual:    unknown ({})", report.actuals_note)),
    }
    for a in &report.assumptions {
        diag(&format!("note: {a}"));
    }
}

/// `idp dashboard`: the document on stdout, or a line saying where it was written.
pub(crate) fn dashboard(
    report: &DashboardReport,
    written_to: Option<&std::path::Path>,
    out: Output,
) {
    for bad in &report.unreadable {
        diag(&format!("warning: cannot read {bad}"));
    }
    match (out, written_to) {
        (Output::Json, Some(path)) => {
            #[derive(Serialize)]
            struct Written<'a> {
                format: idp_core::environments::dashboard::DashboardFormat,
                environments: usize,
                file: &'a std::path::Path,
            }
            json(&Written {
                format: report.format,
                environments: report.environments,
                file: path,
            });
        }
        (Output::Json, None) => json(report),
        (Output::Human, Some(path)) => {
            line(&format!(
                "wrote {} ({} environments)",
                path.display(),
                report.environments
            ));
        }
        (Output::Human, None) => print!("{}", report.content),
    }
}

/// `idp init`.
pub(crate) fn init(report: &InitReport, out: Output) {
    if out == Output::Json {
        return json(report);
    }
    for f in &report.files {
        line(&format!(
            "{} {}",
            if f.overwritten {
                "overwrote"
            } else {
                "created"
            },
            f.path.display()
        ));
    }
    if report.placeholder {
        diag(&format!(
            "warning: the workflow calls `{}`: pass `--platform-repo OWNER/NAME` or run `idp config set github.repo OWNER/NAME`, then `idp init --force`",
            report.platform_repo
        ));
    }
    diag(
        "next: edit .idp/config.yml (check it with `idp validate`), commit both files and open a pull request",
    );
}

/// `idp config get`: the value alone (scripts use it), or `{key, value, source, env}`.
pub(crate) fn setting(s: &Setting, out: Output) {
    if out == Output::Json {
        return json(s);
    }
    line(s.value.as_deref().unwrap_or_default());
}

/// `idp config set` / `unset`.
pub(crate) fn setting_changed(
    key: Key,
    value: Option<&str>,
    changed: bool,
    file: &std::path::Path,
    out: Output,
) {
    if out == Output::Json {
        #[derive(Serialize)]
        struct Changed<'a> {
            outcome: &'a str,
            key: Key,
            value: Option<&'a str>,
            file: &'a std::path::Path,
        }
        let outcome = match (value, changed) {
            (Some(_), _) => "set",
            (None, true) => "unset",
            (None, false) => "no-op",
        };
        return json(&Changed {
            outcome,
            key,
            value,
            file,
        });
    }
    match (value, changed) {
        (Some(v), _) => line(&format!("set {key} = {v} in {}", file.display())),
        (None, true) => line(&format!("unset {key} in {}", file.display())),
        (None, false) => line(&format!("no-op: {key} is not set in {}", file.display())),
    }
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

/// Read all of standard input (`idp auth login --with-token`).
pub(crate) fn read_stdin() -> idp_core::error::Result<String> {
    use std::io::Read as _;
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|source| Error::Io {
            path: "<stdin>".into(),
            source,
        })?;
    Ok(text)
}

/// Ask for a token on a terminal; without one, require `--with-token`.
pub(crate) fn ask_token() -> idp_core::error::Result<String> {
    if !std::io::stdin().is_terminal() {
        return Err(Error::Refused {
            reason: "no_terminal".into(),
            message: "no terminal to ask for the token on: pipe it in with `--with-token`".into(),
        });
    }
    eprint!("Paste a GitHub token (scopes: repo, workflow): ");
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|source| Error::Io {
            path: "<stdin>".into(),
            source,
        })?;
    Ok(answer)
}

/// `idp auth login` / `logout`.
pub(crate) fn auth_changed(outcome: &str, store: &str, out: Output) {
    if out == Output::Json {
        #[derive(Serialize)]
        struct Changed<'a> {
            outcome: &'a str,
            store: &'a str,
        }
        return json(&Changed { outcome, store });
    }
    match outcome {
        "logged_in" => line(&format!(
            "logged in to github.com; the token is in the {store}"
        )),
        "logged_out" => line(&format!(
            "logged out of github.com; removed the token from the {store}"
        )),
        _ => line(&format!("no-op: no token in the {store}")),
    }
}

/// `idp auth status`: where the token comes from, never the token.
pub(crate) fn auth_status(source: Option<TokenSource>, store: &str, out: Output) {
    if out == Output::Json {
        #[derive(Serialize)]
        struct Status<'a> {
            logged_in: bool,
            source: Option<TokenSource>,
            store: &'a str,
        }
        return json(&Status {
            logged_in: source.is_some(),
            source,
            store,
        });
    }
    match source {
        Some(TokenSource::Env { variable }) => line(&format!(
            "github.com: logged in with a token from `{variable}` (token: ****)"
        )),
        Some(TokenSource::Store { store }) => line(&format!(
            "github.com: logged in with a token from the {store} (token: ****)"
        )),
        None => {
            line(&format!("github.com: not logged in (store: {store})"));
            diag("hint: run `idp auth login`, or set `GH_TOKEN`");
        }
    }
}

/// The finished workflow run of `--via-github`: its URL on stdout, the conclusion.
pub(crate) fn via_github(report: &ViaGithubReport, out: Output) {
    if out == Output::Json {
        return json(report);
    }
    let conclusion = report.conclusion.as_deref().unwrap_or("unknown");
    line(&format!(
        "{} in {}: {conclusion}",
        report.workflow, report.repo
    ));
    line(&format!("  run: {}", report.run_url));
    if !report.succeeded {
        diag(&format!(
            "error: the workflow run ended `{conclusion}`; its log is at {}",
            report.run_url
        ));
    }
}

/// Ask for confirmation on a terminal; without one, require `--yes`.
pub(crate) fn confirm(question: &str, yes: bool) -> idp_core::error::Result<()> {
    if yes {
        return Ok(());
    }
    let refuse = |message: &str| idp_core::error::Error::Refused {
        reason: "confirmation_required".into(),
        message: message.to_owned(),
    };
    if !std::io::stdin().is_terminal() {
        return Err(refuse(&format!(
            "{question} — no terminal to confirm on: pass `--yes`"
        )));
    }
    eprint!("{question} [y/N] ");
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|_| refuse("could not read the answer"))?;
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        Err(refuse("cancelled"))
    }
}

/// A spinner on stderr while a long operation runs (hidden when not a terminal or with JSON).
pub(crate) fn spinner(out: Output, message: &str) -> indicatif::ProgressBar {
    if out == Output::Json || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_message(message.to_owned());
    bar.enable_steady_tick(std::time::Duration::from_millis(100));
    bar
}

// === Infrastructure runs (`idp run`) ===

use idp_core::domain::orders::{JobErrors, OrderStatus, RunSummary, format_elapsed};
use idp_core::runs::{ProgressFn, RunEvent};

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

fn order_status_cell(status: OrderStatus) -> String {
    let text = status.as_str();
    if !color() {
        return text.to_owned();
    }
    let code = match status {
        OrderStatus::Succeeded => "32",
        OrderStatus::Failed | OrderStatus::TimedOut => "31",
        OrderStatus::Skipped => "2",
        OrderStatus::Pending | OrderStatus::Running => "33",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

/// A run: a table of its orders and the output of those that failed, or the summary as JSON
/// (`{run_id, status, orders: [{name, status, exit_code, duration_ms, log_excerpt}]}`).
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
    print!("{log}");
}

/// Live progress of a run on stderr: a progress bar on a terminal, and with `--watch` one line
/// per event (also when stderr is not a terminal).
pub(crate) struct RunProgress {
    bar: indicatif::ProgressBar,
    watch: bool,
}

/// Starts showing the progress of a run of `orders` orders.
pub(crate) fn run_progress(out: Output, watch: bool, orders: usize) -> RunProgress {
    let bar = if out == Output::Json || !std::io::stderr().is_terminal() {
        indicatif::ProgressBar::hidden()
    } else {
        let bar = indicatif::ProgressBar::new(orders as u64);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{spinner} [{pos}/{len}] {wide_msg}")
        {
            bar.set_style(style);
        }
        bar.enable_steady_tick(std::time::Duration::from_millis(100));
        bar
    };
    RunProgress { bar, watch }
}

impl RunProgress {
    /// The callback the orchestrator calls with every event.
    pub(crate) fn callback(&self) -> ProgressFn {
        let bar = self.bar.clone();
        let watch = self.watch;
        std::sync::Arc::new(move |event: &RunEvent| {
            let text = format!(
                "{} {}{}{}{}",
                event.at.format("%H:%M:%S"),
                event.kind,
                event
                    .order
                    .as_deref()
                    .map(|o| format!(" {o}"))
                    .unwrap_or_default(),
                event
                    .status
                    .as_deref()
                    .map(|s| format!(": {s}"))
                    .unwrap_or_default(),
                event
                    .message
                    .as_deref()
                    .map(|m| format!(" ({m})"))
                    .unwrap_or_default(),
            );
            if matches!(event.kind.as_str(), "order_finished" | "order_skipped") {
                bar.inc(1);
            }
            bar.set_message(text.clone());
            if watch {
                bar.suspend(|| eprintln!("{text}"));
            }
        })
    }

    /// Removes the bar.
    pub(crate) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
