//! The HTML both the portal (`idp serve`) and the static dashboard (`idp dashboard --format
//! html`) are made of: the page shell, the one stylesheet, times shown relative with the
//! absolute time on hover, status badges and the environments table.
//!
//! The templates are [`maud`] macros, checked when the crate compiles; every value is escaped
//! by maud, and links are only made of URLs [`safe_url`] accepts, so a branch called
//! `<img src=x>` or an endpoint `javascript:…` renders as text.

use chrono::{DateTime, Utc};
use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::{display_owner, format_time, humanize, safe_url};
use crate::domain::cost;
use crate::domain::lifecycle::{Metadata, Status};

/// The stylesheet: system fonts, light and dark (`prefers-color-scheme`), readable from 320 px.
pub const STYLESHEET: &str = include_str!("portal.css");

/// How a page gets its stylesheet and script.
#[derive(Debug, Clone, Copy)]
pub enum Assets<'a> {
    /// Inline stylesheet, no script, a Content Security Policy forbidding everything else: a
    /// self-contained file to host anywhere (S3, CloudFront) or open from disk.
    Inline,
    /// Served by the portal at these paths (same origin).
    Linked {
        /// The stylesheet's path.
        stylesheet: &'a str,
        /// The script's path, loaded with `defer`.
        script: &'a str,
    },
}

/// A whole page: `<head>`, the `header` (brand and navigation) and `main`.
pub fn document(title: &str, assets: Assets<'_>, header: Markup, main: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                @if let Assets::Inline = assets {
                    meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'";
                }
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                title { (title) " · idp" }
                @match assets {
                    Assets::Inline => style { (PreEscaped(STYLESHEET)) },
                    Assets::Linked { stylesheet, script } => {
                        link rel="stylesheet" href=(stylesheet);
                        script src=(script) defer {}
                    }
                }
            }
            body {
                (header)
                main id="main" { (main) }
            }
        }
    }
}

/// A time as people read it: relative (`in 2d 3h`, `5m ago`), the absolute UTC time on hover
/// and in `datetime` (which the portal's script keeps current).
pub fn time(at: DateTime<Utc>, now: DateTime<Utc>) -> Markup {
    let relative = if at > now {
        format!("in {}", humanize(at - now))
    } else {
        format!("{} ago", humanize(now - at))
    };
    html! {
        time datetime=(at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)) title=(format_time(at)) { (relative) }
    }
}

/// A status as a badge: its text, coloured by class `status-<status>`.
pub fn status_badge(status: &str) -> Markup {
    html! { span.status.{"status-" (status)} { (status) } }
}

/// The status shown for an environment: `expired` for one past its TTL that the sweep has not
/// reached yet (unless it is already being destroyed), else its recorded status.
pub fn shown_status(meta: &Metadata, now: DateTime<Utc>) -> &'static str {
    if meta.status != Status::Destroying && meta.status != Status::Destroyed && meta.is_expired(now)
    {
        "expired"
    } else {
        meta.status.as_str()
    }
}

/// The sizes the cost column estimates with (the record does not keep them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizes {
    /// Fargate CPU units.
    pub cpu: u32,
    /// Memory in MiB.
    pub memory: u32,
    /// Whether the shared VPC is used.
    pub shared_networking: bool,
}

/// The estimated cost of `meta` from its creation to `now` (or to its expiry, if sooner).
pub fn cost_so_far(meta: &Metadata, sizes: Sizes, now: DateTime<Utc>) -> f64 {
    cost::lifetime_estimate(
        &meta.template,
        sizes.cpu,
        sizes.memory,
        sizes.shared_networking,
        meta.created_at,
        meta.expires_at,
        now,
    )
    .to_date_usd
}

/// A column of the environments table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Name,
    Status,
    Template,
    Region,
    Owner,
    Branch,
    Url,
    Expires,
    Cost,
}

impl Column {
    /// Every column, in table order.
    pub const ALL: [Column; 9] = [
        Column::Name,
        Column::Status,
        Column::Template,
        Column::Region,
        Column::Owner,
        Column::Branch,
        Column::Url,
        Column::Expires,
        Column::Cost,
    ];

    /// The name in `data-col` and in `?sort=`.
    pub fn key(self) -> &'static str {
        match self {
            Column::Name => "name",
            Column::Status => "status",
            Column::Template => "template",
            Column::Region => "region",
            Column::Owner => "owner",
            Column::Branch => "branch",
            Column::Url => "url",
            Column::Expires => "expires",
            Column::Cost => "cost",
        }
    }

    /// The header people read.
    pub fn title(self) -> &'static str {
        match self {
            Column::Name => "Environment",
            Column::Status => "Status",
            Column::Template => "Template",
            Column::Region => "Region",
            Column::Owner => "Owner",
            Column::Branch => "Branch",
            Column::Url => "URL",
            Column::Expires => "Expires",
            Column::Cost => "Cost so far (est.)",
        }
    }

    /// The column named `key`.
    pub fn parse(key: &str) -> Option<Column> {
        Column::ALL.into_iter().find(|c| c.key() == key)
    }
}

/// How [`environments_table`] renders.
#[derive(Debug, Clone, Copy)]
pub struct TableOptions<'a> {
    /// The sizes the cost column assumes.
    pub sizes: Sizes,
    /// Names link to `{base}/{name}` (the portal's environment page); `None`: plain text.
    pub link_base: Option<&'a str>,
    /// The column sorted by and whether descending; headers become sort links when `Some`.
    pub sort: Option<(Column, bool)>,
    /// The query string every sort link keeps (filters), already URL-encoded, without `?`.
    pub keep_query: &'a str,
    /// What Cost Explorer billed each environment this month, by name, where the backend
    /// reads a bill: shown under the estimate, marked as billed.
    pub billed: Option<&'a std::collections::BTreeMap<String, f64>>,
}

/// Sorts `envs` by `column` (then by name), descending when `desc`. Costs are estimated once
/// per environment, not once per comparison.
pub fn sort_environments(
    envs: &mut [&Metadata],
    column: Column,
    desc: bool,
    sizes: Sizes,
    now: DateTime<Utc>,
) {
    let costs: std::collections::HashMap<&str, f64> = if column == Column::Cost {
        envs.iter()
            .map(|m| (m.name.as_str(), cost_so_far(m, sizes, now)))
            .collect()
    } else {
        Default::default()
    };
    let cost = |m: &Metadata| costs.get(m.name.as_str()).copied().unwrap_or(0.0);
    envs.sort_by(|a, b| {
        let order = match column {
            Column::Name => std::cmp::Ordering::Equal,
            Column::Status => shown_status(a, now).cmp(shown_status(b, now)),
            Column::Template => a.template.as_str().cmp(b.template.as_str()),
            Column::Region => a.region.cmp(&b.region),
            Column::Owner => a.owner.cmp(&b.owner),
            Column::Branch => a.branch.cmp(&b.branch),
            Column::Url => a.endpoint.cmp(&b.endpoint),
            Column::Expires => a.expires_at.cmp(&b.expires_at),
            Column::Cost => cost(a).total_cmp(&cost(b)),
        }
        .then_with(|| a.name.cmp(&b.name));
        if desc { order.reverse() } else { order }
    });
}

/// The environments table: one row per environment in the order given, with `data-name` on
/// each row and `data-col` on each cell (the portal's script updates statuses by them).
pub fn environments_table(
    envs: &[&Metadata],
    now: DateTime<Utc>,
    opts: TableOptions<'_>,
) -> Markup {
    html! {
        div.scroll {
            table id="environments" {
                caption.visually-hidden { "Preview environments" }
                thead { tr {
                    @for column in Column::ALL {
                        @let sorted = opts.sort.filter(|(c, _)| *c == column);
                        th scope="col" aria-sort=[sorted.map(|(_, desc)| if desc { "descending" } else { "ascending" })] {
                            @if opts.sort.is_some() {
                                @let desc = sorted.is_some_and(|(_, d)| !d);
                                a href={ "?" (opts.keep_query) @if !opts.keep_query.is_empty() { "&" } "sort=" (column.key()) "&dir=" (if desc { "desc" } else { "asc" }) } {
                                    (column.title())
                                    @if let Some((_, d)) = sorted { " " (if d { "↓" } else { "↑" }) }
                                }
                            } @else {
                                (column.title())
                            }
                        }
                    }
                } }
                tbody {
                    @for m in envs {
                        @let status = shown_status(m, now);
                        tr data-name=(m.name.as_str()) {
                            td data-col="name" {
                                @match opts.link_base {
                                    Some(base) => a href={ (base) "/" (m.name.as_str()) } { code { (m.name.as_str()) } },
                                    None => code { (m.name.as_str()) },
                                }
                            }
                            td data-col="status" { (status_badge(status)) }
                            td data-col="template" { code { (m.template.as_str()) } }
                            td data-col="region" { (m.region.as_deref().unwrap_or("—")) }
                            td data-col="owner" { (display_owner(&m.owner)) }
                            td data-col="branch" {
                                @match &m.branch { Some(b) => code { (b) }, None => "—" }
                                @if let (Some(pr), Some(repo)) = (m.pr_number, m.repository.as_deref()) {
                                    @let url = format!("https://github.com/{repo}/pull/{pr}");
                                    @if let Some(url) = safe_url(&url) {
                                        " " a href=(url) rel="noopener noreferrer" { "#" (pr) }
                                    } @else { " #" (pr) }
                                }
                            }
                            td data-col="url" {
                                @match m.endpoint.as_deref().and_then(safe_url) {
                                    Some(u) => a href=(u) rel="noopener noreferrer" { (u) },
                                    None => "—",
                                }
                            }
                            td data-col="expires" { (time(m.expires_at, now)) }
                            td data-col="cost" {
                                (cost::format_usd(cost_so_far(m, opts.sizes, now)))
                                @if let Some(billed) = opts.billed.and_then(|b| b.get(m.name.as_str())) {
                                    br;
                                    small.billed { (cost::format_usd(*billed)) " billed this month" }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
