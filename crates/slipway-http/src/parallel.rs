//! Transfers side by side: the one concurrency rule of every tool that moves several files
//! (fetch-assets' downloads, draft-release's asset uploads, pypi-publish's uploads).
//!
//! [`bounded`] runs at most `limit` jobs at a time. After the first failure no new job starts —
//! a stalled or refusing host would otherwise be waited out once per file — while the jobs
//! already running finish, so what reached the server is known. Results come back in the order
//! of the jobs, whatever order they finished in, so outputs and summaries stay deterministic.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};

use futures_util::StreamExt as _;

/// How one job of a [`bounded`] batch ended.
#[derive(Debug)]
pub enum Ran<T, E> {
    /// It ran and succeeded.
    Done(T),
    /// It ran and failed.
    Failed(E),
    /// It never started: an earlier job had failed.
    NotStarted,
}

impl<T, E> Ran<T, E> {
    /// The job's result, or `None` when it never started.
    pub fn started(self) -> Option<Result<T, E>> {
        match self {
            Self::Done(t) => Some(Ok(t)),
            Self::Failed(e) => Some(Err(e)),
            Self::NotStarted => None,
        }
    }
}

/// Runs `work` on each job, at most `limit` at a time (a `limit` of 0 counts as 1); once a job
/// fails no new one starts and the running ones finish. `on_first_failure` is called once, with
/// the index of the job whose failure stopped the batch (for a log line). Returns each job's end
/// in the jobs' order.
pub async fn bounded<J, T, E, W, F>(
    jobs: Vec<J>,
    limit: usize,
    work: W,
    on_first_failure: impl Fn(usize),
) -> Vec<Ran<T, E>>
where
    W: Fn(usize, J) -> F,
    F: Future<Output = Result<T, E>>,
{
    let failed = AtomicBool::new(false);
    let (work, failed, on_first_failure) = (&work, &failed, &on_first_failure);
    let runs = jobs.into_iter().enumerate().map(|(i, job)| async move {
        if failed.load(Ordering::SeqCst) {
            return (i, Ran::NotStarted);
        }
        match work(i, job).await {
            Ok(t) => (i, Ran::Done(t)),
            Err(e) => {
                if !failed.swap(true, Ordering::SeqCst) {
                    on_first_failure(i);
                }
                (i, Ran::Failed(e))
            }
        }
    });
    let mut ended: Vec<(usize, Ran<T, E>)> = futures_util::stream::iter(runs)
        .buffer_unordered(limit.max(1))
        .collect()
        .await;
    ended.sort_by_key(|(i, _)| *i);
    ended.into_iter().map(|(_, ran)| ran).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::time::Duration;

    /// Counts jobs in flight and keeps the highest count seen.
    #[derive(Default)]
    struct Gauge {
        now: AtomicUsize,
        most: AtomicUsize,
    }

    impl Gauge {
        async fn hold(&self, ms: u64) {
            let n = self.now.fetch_add(1, Ordering::SeqCst) + 1;
            self.most.fetch_max(n, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(ms)).await;
            self.now.fetch_sub(1, Ordering::SeqCst);
        }
    }

    #[tokio::test]
    async fn at_most_limit_run_at_once_and_results_keep_the_jobs_order() {
        let gauge = Gauge::default();
        // Later jobs finish first: the order of the results must still be the jobs' order.
        let jobs: Vec<u64> = (0..12).rev().collect();
        let ran = bounded(
            jobs,
            3,
            |_, ms| {
                let gauge = &gauge;
                async move {
                    gauge.hold(ms * 3).await;
                    Ok::<u64, ()>(ms)
                }
            },
            |_| {},
        )
        .await;
        let done: Vec<u64> = ran
            .into_iter()
            .map(|r| r.started().unwrap().unwrap())
            .collect();
        assert_eq!(done, (0..12).rev().collect::<Vec<_>>());
        assert_eq!(gauge.most.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_failure_starts_nothing_new_and_lets_the_running_ones_finish() {
        let stopped_by = std::sync::Mutex::new(Vec::new());
        let ran = bounded(
            (0..10).collect::<Vec<u64>>(),
            2,
            |i, job| async move {
                // Job 1 fails at once; job 0 is still running and must finish.
                tokio::time::sleep(Duration::from_millis(if i == 0 { 50 } else { 1 })).await;
                if job == 1 { Err("refused") } else { Ok(job) }
            },
            |i| stopped_by.lock().unwrap().push(i),
        )
        .await;
        assert!(matches!(ran[0], Ran::Done(0)), "{ran:?}");
        assert!(matches!(ran[1], Ran::Failed("refused")), "{ran:?}");
        // The slot job 1 freed is taken after its failure is recorded: nothing after it starts.
        assert!(
            ran[2..].iter().all(|r| matches!(r, Ran::NotStarted)),
            "{ran:?}"
        );
        assert_eq!(*stopped_by.lock().unwrap(), vec![1]);
    }

    #[tokio::test]
    async fn a_limit_of_zero_runs_one_at_a_time() {
        let gauge = Gauge::default();
        let ran = bounded(
            vec![5u64; 4],
            0,
            |_, ms| {
                let gauge = &gauge;
                async move {
                    gauge.hold(ms).await;
                    Ok::<(), ()>(())
                }
            },
            |_| {},
        )
        .await;
        assert_eq!(ran.len(), 4);
        assert_eq!(gauge.most.load(Ordering::SeqCst), 1);
    }
}
