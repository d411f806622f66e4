//! [`OrderGraph`]: which orders may start, and what each ending makes ready or skips.
//!
//! Pure bookkeeping over a validated [`Job`] (no cycles, no unknown dependencies): the
//! orchestrator asks [`OrderGraph::ready`], calls [`OrderGraph::start`] for what it dispatches
//! and [`OrderGraph::finish`] for what ended. An order that ends without succeeding *blocks* its
//! dependents when it must succeed: they are skipped at once, and their own dependents after
//! them. A failed order with `must_succeed: false` blocks nothing. Every order ends in exactly
//! one terminal status; the job timeout ends every order that has not ended ([`OrderGraph::time_out`]).

use std::collections::HashMap;

use super::{Job, OrderOutcome, OrderStatus, RunStatus};

/// A call that does not fit the order's status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GraphError {
    /// No order has that name.
    #[error("order `{name}` is not part of this job")]
    Unknown {
        /// The name asked for.
        name: String,
    },
    /// `start` of an order that is not ready.
    #[error(
        "order `{name}` cannot start: it is `{status}` with {waiting} dependencies still to end"
    )]
    NotReady {
        /// The order.
        name: String,
        status: OrderStatus,
        /// How many of its dependencies have not ended.
        waiting: usize,
    },
    /// `finish` of an order that is not running.
    #[error("order `{name}` cannot finish: it is `{status}`, not `running`")]
    NotRunning {
        /// The order.
        name: String,
        status: OrderStatus,
    },
}

/// What an ending changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Newly {
    /// Orders whose last dependency just ended (in job order).
    pub ready: Vec<String>,
    /// Orders skipped because of this ending (in the order they were skipped).
    pub skipped: Vec<String>,
}

/// What the job timeout (or a cancel) ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimeoutSweep {
    /// Orders that were running: now `timed_out` or `cancelled` (the caller kills them).
    pub timed_out: Vec<String>,
    /// Orders that had not started: now `skipped`.
    pub skipped: Vec<String>,
}

/// The state of every order of a job.
#[derive(Debug, Clone)]
pub struct OrderGraph {
    names: Vec<String>,
    index: HashMap<String, usize>,
    dependents: Vec<Vec<usize>>,
    must_succeed: Vec<bool>,
    /// Dependencies that have not ended, per order.
    waiting: Vec<usize>,
    status: Vec<OrderStatus>,
    /// Set when the run was stopped before its end: `TimedOut` or `Cancelled`.
    stopped: Option<RunStatus>,
}

impl OrderGraph {
    /// Every order of `job` pending.
    pub fn new(job: &Job) -> Self {
        let names: Vec<String> = job.orders.iter().map(|o| o.name.clone()).collect();
        let index: HashMap<String, usize> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i))
            .collect();
        let mut dependents = vec![Vec::new(); names.len()];
        let mut waiting = vec![0; names.len()];
        for (i, order) in job.orders.iter().enumerate() {
            for dep in &order.depends_on {
                if let Some(&d) = index.get(dep) {
                    if let Some(list) = dependents.get_mut(d) {
                        list.push(i);
                    }
                    if let Some(w) = waiting.get_mut(i) {
                        *w += 1;
                    }
                }
            }
        }
        Self {
            must_succeed: job.orders.iter().map(|o| o.must_succeed).collect(),
            status: vec![OrderStatus::Pending; names.len()],
            names,
            index,
            dependents,
            waiting,
            stopped: None,
        }
    }

    fn idx(&self, name: &str) -> Result<usize, GraphError> {
        self.index
            .get(name)
            .copied()
            .ok_or_else(|| GraphError::Unknown {
                name: name.to_owned(),
            })
    }

    fn name(&self, i: usize) -> String {
        self.names.get(i).cloned().unwrap_or_default()
    }

    fn status_at(&self, i: usize) -> OrderStatus {
        self.status.get(i).copied().unwrap_or(OrderStatus::Skipped)
    }

    /// The pending orders whose dependencies have all ended, in job order.
    pub fn ready(&self) -> Vec<&str> {
        (0..self.names.len())
            .filter(|&i| {
                self.status_at(i) == OrderStatus::Pending && self.waiting.get(i) == Some(&0)
            })
            .filter_map(|i| self.names.get(i).map(String::as_str))
            .collect()
    }

    /// Marks a ready order as running.
    pub fn start(&mut self, name: &str) -> Result<(), GraphError> {
        let i = self.idx(name)?;
        let waiting = self.waiting.get(i).copied().unwrap_or(0);
        let status = self.status_at(i);
        if status != OrderStatus::Pending || waiting != 0 {
            return Err(GraphError::NotReady {
                name: name.to_owned(),
                status,
                waiting,
            });
        }
        if let Some(s) = self.status.get_mut(i) {
            *s = OrderStatus::Running;
        }
        Ok(())
    }

    /// Records how a running order ended; returns what became ready and what was skipped.
    pub fn finish(&mut self, name: &str, outcome: OrderOutcome) -> Result<Newly, GraphError> {
        let i = self.idx(name)?;
        let status = self.status_at(i);
        if status != OrderStatus::Running {
            return Err(GraphError::NotRunning {
                name: name.to_owned(),
                status,
            });
        }
        let mut newly = Newly::default();
        self.end(i, outcome.into(), &mut newly);
        newly.ready.sort_by_key(|n| self.index.get(n).copied());
        Ok(newly)
    }

    /// Ends order `i` with `status` and propagates: dependents lose a waiting dependency; if `i`
    /// blocks, they are skipped (and so on down the graph).
    fn end(&mut self, i: usize, status: OrderStatus, newly: &mut Newly) {
        let mut work = vec![(i, status)];
        while let Some((i, status)) = work.pop() {
            if let Some(s) = self.status.get_mut(i) {
                *s = status;
            }
            let blocks = status != OrderStatus::Succeeded
                && self.must_succeed.get(i).copied().unwrap_or(true);
            let dependents = self.dependents.get(i).cloned().unwrap_or_default();
            for d in dependents {
                if let Some(w) = self.waiting.get_mut(d) {
                    *w = w.saturating_sub(1);
                }
                if self.status_at(d) != OrderStatus::Pending {
                    continue;
                }
                if blocks {
                    // Mark now so that a second blocking dependency does not skip it twice.
                    if let Some(s) = self.status.get_mut(d) {
                        *s = OrderStatus::Skipped;
                    }
                    newly.skipped.push(self.name(d));
                    newly.ready.retain(|n| *n != self.name(d));
                    work.push((d, OrderStatus::Skipped));
                } else if self.waiting.get(d) == Some(&0) {
                    newly.ready.push(self.name(d));
                }
            }
        }
    }

    /// The job timeout passed: running orders are `timed_out`, pending ones `skipped`.
    pub fn time_out(&mut self) -> TimeoutSweep {
        self.stop(RunStatus::TimedOut, OrderStatus::TimedOut)
    }

    /// The run was cancelled: running orders are `cancelled`, pending ones `skipped`.
    pub fn cancel(&mut self) -> TimeoutSweep {
        self.stop(RunStatus::Cancelled, OrderStatus::Cancelled)
    }

    fn stop(&mut self, run: RunStatus, running: OrderStatus) -> TimeoutSweep {
        self.stopped = Some(run);
        let mut sweep = TimeoutSweep::default();
        for i in 0..self.names.len() {
            match self.status_at(i) {
                OrderStatus::Running => {
                    sweep.timed_out.push(self.name(i));
                    if let Some(s) = self.status.get_mut(i) {
                        *s = running;
                    }
                }
                OrderStatus::Pending => {
                    sweep.skipped.push(self.name(i));
                    if let Some(s) = self.status.get_mut(i) {
                        *s = OrderStatus::Skipped;
                    }
                }
                _ => {}
            }
        }
        sweep
    }

    /// Rebuilds the graph of a resumed run from recorded terminal statuses (`None`: not ended).
    /// Records are applied in dependency order; an order whose blocking dependency is recorded
    /// but which has no record of its own is skipped, and reported in the returned `skipped`.
    pub fn restore(job: &Job, recorded: impl Fn(&str) -> Option<OrderStatus>) -> (Self, Newly) {
        let mut graph = Self::new(job);
        let mut newly = Newly::default();
        let mut cascade = Newly::default();
        for i in graph.topological() {
            let name = graph.name(i);
            let Some(status) = recorded(&name).filter(|s| s.is_terminal()) else {
                continue;
            };
            if graph.status_at(i) == OrderStatus::Pending {
                graph.end(i, status, &mut cascade);
            }
        }
        // Orders a cascade skipped that have a record of their own are not new.
        newly.skipped = cascade
            .skipped
            .into_iter()
            .filter(|n| recorded(n).is_none())
            .collect();
        (graph, newly)
    }

    /// The order indices, dependencies first (Kahn's algorithm; the job is acyclic).
    fn topological(&self) -> Vec<usize> {
        let mut waiting = vec![0usize; self.names.len()];
        for list in &self.dependents {
            for &d in list {
                if let Some(w) = waiting.get_mut(d) {
                    *w += 1;
                }
            }
        }
        let mut queue: Vec<usize> = (0..self.names.len())
            .filter(|&i| waiting.get(i) == Some(&0))
            .rev()
            .collect();
        let mut order = Vec::with_capacity(self.names.len());
        while let Some(i) = queue.pop() {
            order.push(i);
            for &d in self.dependents.get(i).map_or(&[][..], Vec::as_slice) {
                if let Some(w) = waiting.get_mut(d) {
                    *w -= 1;
                    if *w == 0 {
                        queue.push(d);
                    }
                }
            }
        }
        order
    }

    /// The status of the order called `name`.
    pub fn status(&self, name: &str) -> Option<OrderStatus> {
        self.index.get(name).map(|&i| self.status_at(i))
    }

    /// Every order and its status, in job order.
    pub fn statuses(&self) -> impl Iterator<Item = (&str, OrderStatus)> {
        self.names
            .iter()
            .zip(self.status.iter())
            .map(|(n, s)| (n.as_str(), *s))
    }

    /// Whether every order has ended.
    pub fn is_finished(&self) -> bool {
        self.status.iter().all(|s| s.is_terminal())
    }

    /// Whether some order is running.
    pub fn any_running(&self) -> bool {
        self.status.contains(&OrderStatus::Running)
    }

    /// The run's status: `running` until every order ended; then `timed_out` if the job timeout
    /// passed, `cancelled` if it was cancelled, `failed` if an order that must succeed did not,
    /// else `succeeded`.
    pub fn run_status(&self) -> RunStatus {
        if let Some(stopped) = self.stopped {
            stopped
        } else if !self.is_finished() {
            RunStatus::Running
        } else if self
            .status
            .iter()
            .zip(&self.must_succeed)
            .any(|(s, must)| *must && *s != OrderStatus::Succeeded)
        {
            RunStatus::Failed
        } else {
            RunStatus::Succeeded
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::super::{Job, OrderOutcome, OrderStatus, RunStatus};
    use super::*;

    fn job(edges: &[(&str, &[&str], bool)]) -> Job {
        let mut yaml = String::from("orders:\n");
        for (name, deps, must) in edges {
            yaml.push_str(&format!(
                "  - {{name: {name}, cmds: [\"true\"], timeout: 1m, must_succeed: {must}, depends_on: [{}]}}\n",
                deps.join(", ")
            ));
        }
        Job::from_yaml(&yaml, "job.yml").unwrap()
    }

    #[test]
    fn a_failing_branch_of_a_diamond_skips_the_join_but_not_the_other_branch() {
        let job = job(&[
            ("top", &[], true),
            ("left", &["top"], true),
            ("right", &["top"], true),
            ("join", &["left", "right"], true),
        ]);
        let mut g = OrderGraph::new(&job);
        assert_eq!(g.ready(), vec!["top"]);
        g.start("top").unwrap();
        let newly = g.finish("top", OrderOutcome::Succeeded).unwrap();
        assert_eq!(newly.ready, vec!["left", "right"]);
        g.start("left").unwrap();
        g.start("right").unwrap();
        let newly = g.finish("left", OrderOutcome::Failed).unwrap();
        assert_eq!(newly.skipped, vec!["join"]);
        assert!(
            g.finish("right", OrderOutcome::Succeeded)
                .unwrap()
                .ready
                .is_empty()
        );
        assert!(g.is_finished());
        assert_eq!(g.run_status(), RunStatus::Failed);
        assert_eq!(g.status("join"), Some(OrderStatus::Skipped));
    }

    #[test]
    fn a_failed_order_that_need_not_succeed_skips_nothing_and_fails_nothing() {
        let job = job(&[("lint", &[], false), ("deploy", &["lint"], true)]);
        let mut g = OrderGraph::new(&job);
        g.start("lint").unwrap();
        assert_eq!(
            g.finish("lint", OrderOutcome::Failed).unwrap().ready,
            vec!["deploy"]
        );
        g.start("deploy").unwrap();
        g.finish("deploy", OrderOutcome::Succeeded).unwrap();
        assert_eq!(g.run_status(), RunStatus::Succeeded);
    }

    #[test]
    fn orders_cannot_start_early_or_finish_twice() {
        let job = job(&[("a", &[], true), ("b", &["a"], true)]);
        let mut g = OrderGraph::new(&job);
        assert!(matches!(
            g.start("b"),
            Err(GraphError::NotReady { waiting: 1, .. })
        ));
        assert!(matches!(
            g.finish("a", OrderOutcome::Succeeded),
            Err(GraphError::NotRunning { .. })
        ));
        assert!(matches!(g.start("zz"), Err(GraphError::Unknown { .. })));
        g.start("a").unwrap();
        g.finish("a", OrderOutcome::Succeeded).unwrap();
        assert!(g.finish("a", OrderOutcome::Failed).is_err());
    }

    #[test]
    fn the_job_timeout_ends_every_order_that_has_not_ended() {
        let job = job(&[("a", &[], true), ("b", &[], true), ("c", &["b"], true)]);
        let mut g = OrderGraph::new(&job);
        g.start("a").unwrap();
        g.start("b").unwrap();
        g.finish("a", OrderOutcome::Succeeded).unwrap();
        let sweep = g.time_out();
        assert_eq!(sweep.timed_out, vec!["b"]);
        assert_eq!(sweep.skipped, vec!["c"]);
        assert!(g.is_finished());
        assert_eq!(g.run_status(), RunStatus::TimedOut);
    }

    #[test]
    fn a_cancel_ends_every_order_that_has_not_ended_as_cancelled_or_skipped() {
        let job = job(&[("a", &[], true), ("b", &[], true), ("c", &["b"], true)]);
        let mut g = OrderGraph::new(&job);
        g.start("a").unwrap();
        g.start("b").unwrap();
        g.finish("a", OrderOutcome::Succeeded).unwrap();
        let sweep = g.cancel();
        assert_eq!(sweep.timed_out, vec!["b"]);
        assert_eq!(sweep.skipped, vec!["c"]);
        let statuses: Vec<_> = g.statuses().map(|(_, s)| s).collect();
        assert_eq!(
            statuses,
            [
                OrderStatus::Succeeded,
                OrderStatus::Cancelled,
                OrderStatus::Skipped
            ]
        );
        assert!(g.is_finished());
        assert_eq!(g.run_status(), RunStatus::Cancelled);
    }

    #[test]
    fn a_restored_graph_skips_what_a_recorded_failure_blocks() {
        let job = job(&[("a", &[], true), ("b", &["a"], true), ("c", &[], true)]);
        let (g, newly) = OrderGraph::restore(&job, |n| (n == "a").then_some(OrderStatus::Failed));
        assert_eq!(newly.skipped, vec!["b"]);
        assert_eq!(g.ready(), vec!["c"]);
    }

    /// A random DAG: order i may depend only on orders before it.
    fn dag() -> impl Strategy<Value = (Job, Vec<u8>)> {
        (1usize..40)
            .prop_flat_map(|n| {
                (
                    proptest::collection::vec(proptest::collection::vec(any::<prop::sample::Index>(), 0..4), n),
                    proptest::collection::vec(any::<bool>(), n),
                    proptest::collection::vec(0u8..6, n * 2),
                )
            })
            .prop_map(|(deps, must, choices)| {
                let mut yaml = String::from("orders:\n");
                for (i, ds) in deps.iter().enumerate() {
                    let mut names: Vec<String> = if i == 0 {
                        Vec::new()
                    } else {
                        ds.iter().map(|d| format!("o{}", d.index(i))).collect()
                    };
                    names.sort();
                    names.dedup();
                    yaml.push_str(&format!(
                        "  - {{name: o{i}, cmds: [\"true\"], timeout: 1m, must_succeed: {}, depends_on: [{}]}}\n",
                        must.get(i).copied().unwrap_or(true),
                        names.join(", ")
                    ));
                }
                (Job::from_yaml(&yaml, "dag.yml").unwrap(), choices)
            })
    }

    proptest! {
        #[test]
        fn every_order_ends_once_and_never_starts_before_its_dependencies((job, choices) in dag(), time_out_at in proptest::option::of(0usize..40)) {
            let mut g = OrderGraph::new(&job);
            let mut ended: HashMap<String, OrderStatus> = HashMap::new();
            let mut running: Vec<String> = Vec::new();
            let mut step = 0usize;
            let mut choice = choices.iter().cycle();
            while !g.is_finished() {
                step += 1;
                prop_assert!(step < 10_000, "the graph never finished");
                if time_out_at == Some(step) {
                    let sweep = g.time_out();
                    for n in sweep.timed_out.into_iter().chain(sweep.skipped) {
                        prop_assert!(ended.insert(n, OrderStatus::TimedOut).is_none());
                    }
                    break;
                }
                for name in g.ready().into_iter().map(str::to_owned).collect::<Vec<_>>() {
                    let order = job.orders.iter().find(|o| o.name == name).unwrap();
                    for dep in &order.depends_on {
                        prop_assert!(ended.contains_key(dep), "{name} started before {dep} ended");
                    }
                    g.start(&name).unwrap();
                    running.push(name);
                }
                prop_assert!(!running.is_empty(), "nothing running, nothing ready, not finished");
                let pick = usize::from(*choice.next().unwrap_or(&0)) % running.len();
                let name = running.swap_remove(pick);
                let outcome = match choice.next().unwrap_or(&0) % 3 { 0 => OrderOutcome::Failed, 1 => OrderOutcome::TimedOut, _ => OrderOutcome::Succeeded };
                let newly = g.finish(&name, outcome).unwrap();
                prop_assert!(ended.insert(name, outcome.into()).is_none());
                for skipped in newly.skipped {
                    prop_assert!(ended.insert(skipped, OrderStatus::Skipped).is_none(), "skipped twice");
                }
            }
            prop_assert_eq!(ended.len(), job.orders.len());
            prop_assert!(g.statuses().all(|(_, s)| s.is_terminal()));
        }

        #[test]
        fn a_back_edge_always_makes_the_job_invalid((job, _) in dag(), from in any::<prop::sample::Index>(), to in any::<prop::sample::Index>()) {
            // Add an edge from an earlier order to a later one that (transitively) reaches it, or
            // a self-loop: either closes a cycle.
            let n = job.orders.len();
            let (a, b) = { let x = from.index(n); let y = to.index(n); (x.min(y), x.max(y)) };
            let mut orders = job.orders.clone();
            // Make b reach a for sure, then add the back edge a -> b.
            if a != b && !orders[b].depends_on.contains(&orders[a].name) {
                let name = orders[a].name.clone();
                orders[b].depends_on.push(name);
            }
            let name = orders[b].name.clone();
            orders[a].depends_on.push(name);
            let cyclic = Job { timeout: job.timeout, orders };
            let errors = Job::from_json(&cyclic.to_json(), "cyclic.json").unwrap_err();
            prop_assert!(errors.errors.iter().any(|e| e.message.contains("dependency cycle")), "{errors}");
        }
    }
}
