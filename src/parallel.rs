//! Inputs evaluated on one worker thread per core, results handed on in input order.
//!
//! Workers are started once per run and take the next input from one atomic counter: nothing
//! on the per-input path takes a lock, and each worker keeps its thread-local caches (regex
//! caches, decode buffers) warm across all the inputs it takes. [`for_each_ordered`] streams
//! (a run over 10,000 bundles holds a few inputs' results at a time, not all of them);
//! [`parallel_map`] collects.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

/// Worker threads: one per available core (an affinity mask gives fewer).
pub fn workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `f` over `items` on up to one thread per core; results in the order of `items`.
pub fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let mut out: Vec<Option<R>> = Vec::with_capacity(items.len());
    out.resize_with(items.len(), || None);
    // (Unbounded window: everything is kept anyway.)
    let result: std::io::Result<()> = for_each_ordered(items, usize::MAX, f, |i, r| {
        out[i] = Some(r);
        Ok(())
    });
    debug_assert!(result.is_ok());
    out.into_iter().flatten().collect()
}

/// `f` over `items` on up to one thread per core, handing each result to `sink` in the order of
/// `items`, as soon as it and every earlier one are done. A worker does not start an item more
/// than `window` places past the last one handed on, so at most about `window` results wait.
/// An error from `sink` stops the workers (each finishes the item it holds) and is returned.
pub fn for_each_ordered<T: Sync, R: Send, E>(
    items: &[T],
    window: usize,
    f: impl Fn(&T) -> R + Sync,
    mut sink: impl FnMut(usize, R) -> Result<(), E>,
) -> Result<(), E> {
    let workers = workers().min(items.len());
    if workers <= 1 {
        for (i, item) in items.iter().enumerate() {
            sink(i, f(item))?;
        }
        return Ok(());
    }
    let window = window.max(workers);
    let next = AtomicUsize::new(0);
    // Items handed on so far; workers wait while they are `window` ahead of it.
    let handed = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let (tx, rx) = std::sync::mpsc::channel::<(usize, R)>();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let tx = tx.clone();
            let (f, next, handed, stop) = (&f, &next, &handed, &stop);
            scope.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(i) else { break };
                while i >= handed.load(Ordering::Acquire).saturating_add(window)
                    && !stop.load(Ordering::Relaxed)
                {
                    std::thread::park_timeout(Duration::from_millis(1));
                }
                if stop.load(Ordering::Relaxed) || tx.send((i, f(item))).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        let mut pending = std::collections::BTreeMap::new();
        let mut at = 0usize;
        let mut result = Ok(());
        // A worker that panics drops its sender: the loop ends and the scope re-raises the panic.
        for (i, r) in rx.iter() {
            pending.insert(i, r);
            while let Some(r) = pending.remove(&at) {
                if let Err(e) = sink(at, r) {
                    stop.store(true, Ordering::Relaxed);
                    result = Err(e);
                    break;
                }
                at += 1;
                handed.store(at, Ordering::Release);
            }
            if result.is_err() {
                break;
            }
        }
        result
    })
}

#[cfg(test)]
mod tests {
    use super::{for_each_ordered, parallel_map};

    #[test]
    fn parallel_map_keeps_the_order_of_its_items() {
        let items: Vec<u64> = (0..200).collect();
        let out = parallel_map(&items, |x| {
            // Uneven work, so threads finish out of order.
            std::thread::sleep(std::time::Duration::from_micros((x % 7) * 50));
            x * 2
        });
        assert_eq!(out, items.iter().map(|x| x * 2).collect::<Vec<_>>());
        assert!(parallel_map(&[] as &[u64], |x| *x).is_empty());
    }

    #[test]
    fn results_are_handed_on_in_order_within_the_window_and_an_error_stops_the_run() {
        let items: Vec<u64> = (0..100).collect();
        let mut seen = Vec::new();
        let r: Result<(), ()> = for_each_ordered(
            &items,
            3,
            |x| x + 1,
            |i, v| {
                seen.push((i, v));
                Ok(())
            },
        );
        assert_eq!(r, Ok(()));
        assert_eq!(seen, items.iter().map(|x| (*x as usize, x + 1)).collect::<Vec<_>>());
        let mut handed = 0;
        let r = for_each_ordered(
            &items,
            3,
            |x| *x,
            |i, _| {
                handed += 1;
                if i == 10 {
                    Err(i)
                } else {
                    Ok(())
                }
            },
        );
        assert_eq!(r, Err(10));
        assert_eq!(handed, 11);
    }
}
