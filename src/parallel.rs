//! Independent jobs on several threads, their results in the jobs' order.

use std::sync::atomic::{AtomicUsize, Ordering};

/// How many threads the machine runs at once (1 when it cannot tell), asked once (the
/// answer reads the scheduler's affinity and the cgroup's quota).
pub(crate) fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, usize::from))
}

/// `job(i)` for every `i` in `0..n`, on up to `threads` threads (this one among them), the
/// results in the order of `i`. Jobs are handed out one at a time, so one slow job does not
/// hold back a queue of others. A job that panics panics the caller, after the others stop.
pub(crate) fn map_in_order<T: Send>(
    n: usize,
    threads: usize,
    job: impl Fn(usize) -> T + Sync,
) -> Vec<T> {
    let threads = threads.min(n);
    if threads <= 1 {
        return (0..n).map(job).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= n {
                return done;
            }
            done.push((i, job(i)));
        }
    };
    let mut results: Vec<(usize, T)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
        let mut results = work();
        for w in workers {
            results.extend(w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
        }
        results
    });
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_the_jobs_order_on_any_number_of_threads() {
        for threads in [0, 1, 2, 3, 8] {
            for n in [0, 1, 2, 7, 50] {
                let got = map_in_order(n, threads, |i| {
                    // Uneven jobs, so that threads finish out of order.
                    std::thread::sleep(std::time::Duration::from_micros((n - i) as u64 * 20));
                    i * i
                });
                assert_eq!(
                    got,
                    (0..n).map(|i| i * i).collect::<Vec<_>>(),
                    "{threads} threads, {n} jobs"
                );
            }
        }
    }

    #[test]
    #[should_panic(expected = "job 3")]
    fn a_panicking_job_panics_the_caller() {
        map_in_order(6, 2, |i| {
            assert_ne!(i, 3, "job 3");
            i
        });
    }
}
