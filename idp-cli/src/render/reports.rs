//! The line-oriented renderings of the use cases' reports (`idp status`, `idp sweep`, …), or
//! their JSON documents under `--output json`.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "the render modules are the one place the CLI prints"
)]

use super::print::{diag, json, line, text_out};
use crate::cli::Output;
use idp_core::environments::approve::ApproveReport;
use idp_core::environments::dashboard::DashboardReport;
use idp_core::environments::exec::ExecReport;
use idp_core::environments::logs::LogsReport;
use idp_core::environments::migrate::MigrateReport;
use idp_core::environments::status::StatusReport;
use idp_core::environments::sweep::SweepReport;
use idp_core::environments::unlock::UnlockReport;
use idp_core::github::dispatch::ViaGithubReport;
use idp_core::ports::provisioner::RuntimeHealth;
use idp_core::repo::scaffold::InitReport;
use idp_core::setup::credentials::TokenSource;
use idp_core::setup::settings::{Key, Setting};
use idp_core::support::report::ChangeReport;
use serde::Serialize;

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

/// `idp approve`.
pub(crate) fn approved(report: &ApproveReport, out: Output) {
    if out == Output::Json {
        return json(report);
    }
    let r = &report.request;
    let Some(a) = &r.approval else { return };
    let verb = if report.already_approved {
        "was already approved"
    } else {
        "approved"
    };
    line(&format!(
        "{} {verb} by {} on {} (template {}, estimated {}); run `idp create {}` to provision it",
        r.name,
        a.by,
        a.at.format("%Y-%m-%d %H:%M UTC"),
        r.template,
        idp_core::domain::cost::format_usd(r.estimate_usd),
        r.name
    ));
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
    if let Some(region) = &m.region {
        line(&format!("  region:    {region}"));
    }
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
    if let Some(o) = &m.budget_override {
        line(&format!(
            "  budget:    overridden by {} at {}: {} ({}, {})",
            o.by,
            o.at.format("%Y-%m-%d %H:%M UTC"),
            o.reason,
            o.budget.replace('`', ""),
            o.figures
        ));
    }
    if let Some(a) = &m.approval {
        line(&format!(
            "  approved:  by {} on {} ({}){}",
            a.by,
            a.at.format("%Y-%m-%d %H:%M UTC"),
            a.how.as_str(),
            a.reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        ));
    }
    if let Some(rt) = &report.runtime {
        let shown = match rt {
            RuntimeHealth::Running { pid: Some(pid) } => format!("running (pid {pid})"),
            RuntimeHealth::Running { pid: None } => "running".to_owned(),
            RuntimeHealth::Stopped => "stopped".to_owned(),
            _ => "not known to the provisioner (see `service` for the containers)".to_owned(),
        };
        line(&format!("  runtime:   {shown}"));
    }
    if let Some(legacy) = m.legacy.as_ref() {
        match legacy.migrated_at {
            None => line(
                "  record:    legacy (the original platform's layout; `idp migrate` converts it)",
            ),
            Some(at) => line(&format!(
                "  record:    migrated from the original platform's layout on {}",
                at.format("%Y-%m-%d %H:%M UTC")
            )),
        }
    }
    if let Some(svc) = &report.service {
        line(&format!(
            "  service:   {} ({} desired, {} running, {} pending)",
            svc.status, svc.desired, svc.running, svc.pending
        ));
        if let Some(d) = &svc.last_deployment {
            line(&format!(
                "  deploy:    {} {}{}",
                d.id,
                d.rollout_state,
                if d.failed_tasks > 0 {
                    format!(", {} task(s) failed to start", d.failed_tasks)
                } else {
                    String::new()
                }
            ));
        }
        for group in &svc.target_groups {
            line(&format!(
                "  targets:   {}: {}",
                group.name(),
                group.summary()
            ));
        }
    }
    if !report.alarms.is_empty() {
        line("  alarms:");
        for alarm in &report.alarms {
            let since = alarm
                .since
                .map(|t| format!(" (since {})", t.format("%Y-%m-%d %H:%M UTC")))
                .unwrap_or_default();
            line(&format!(
                "    {:<17}  {}{since}: {}",
                alarm.state.to_string(),
                alarm.name,
                printable(&alarm.reason)
            ));
        }
    }
    if let Some(error) = &m.last_error {
        line("  last error:");
        for l in error.lines() {
            line(&format!("    {}", printable(l)));
        }
    }
    for w in &report.warnings {
        diag(&format!("warning: {w}"));
    }
}

/// `text` with its control characters (but tabs) as `?`: a provider's or AWS's words are not
/// passed to the terminal as they are.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() && c != '\t' { '?' } else { c })
        .collect()
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
    super::unreadable(
        &report.unreadable,
        "{} record(s) cannot be read, so the sweep cannot tell whether they are due:",
    );
}

/// `idp exec`: the command's output went straight to the terminal; JSON adds the outcome, a
/// human a line on stderr only when the command failed.
pub(crate) fn exec(report: &ExecReport, out: Output) {
    if out == Output::Json {
        return json(report);
    }
    match report.outcome.exit_code {
        Some(0) | None => {}
        Some(code) => diag(&format!(
            "`{}`: the command exited with {code} ({})",
            report.name, report.outcome.ran_in
        )),
    }
}

/// `idp migrate`.
pub(crate) fn migrate(report: &MigrateReport, out: Output) {
    if out == Output::Json {
        return json(report);
    }
    let verb = if report.dry_run {
        "would migrate"
    } else {
        "migrated"
    };
    for m in &report.migrations {
        let shown = if report.dry_run || m.migrated {
            verb
        } else {
            "already migrated"
        };
        line(&format!(
            "{shown} {} (schema {} → {})",
            m.name, m.from_schema, m.to_schema
        ));
        for change in &m.changes {
            line(&format!("    {change}"));
        }
    }
    super::unreadable(&report.unreadable, "{} record(s) cannot be read:");
    for (field, names) in &report.unmapped {
        line(&format!(
            "not mapped: `{field}` in {} record(s) ({}); kept verbatim in `legacy.unmapped`",
            names.len(),
            names.join(", ")
        ));
    }
    for e in &report.errors {
        diag(&format!("error: {}: {}", e.name, e.message));
    }
    let moved = report.migrations.iter().filter(|m| m.migrated).count();
    line(&format!(
        "examined {}: {} current, {} legacy ({} {verb}), {} unreadable, {} failed{}",
        report.examined,
        report.current,
        report.migrations.len(),
        if report.dry_run {
            report.migrations.len()
        } else {
            moved
        },
        report.unreadable.len(),
        report.errors.len(),
        match &report.index {
            Some(stats) if stats.written => "; index built",
            Some(_) => "; index not written (another writer won; the next read repairs it)",
            None => "; nothing written (dry run)",
        }
    ));
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
        (Output::Human, None) => text_out(&report.content),
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
    if let Some(sha) = &report.pinned {
        line(&format!(
            "the platform's workflows are pinned to {sha} ({})",
            report.platform_repo
        ));
    }
    for warning in &report.warnings {
        diag(&format!("warning: {warning}"));
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
