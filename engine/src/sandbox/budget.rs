//! Budgets: what one rule, derived fact or signal of one pack on one input may spend, in
//! operations and time, capped by the pack's own time budget on that input.
//!
//! One budget is started for a rule (covering its requirements, applicability, condition and
//! resolution), for a derived fact, and for a signal (covering every `where` call on its matches);
//! the pack's budget is started once per pack and input and caps them all. Rhai charges one
//! operation per step (`on_progress`, see [`super::engine`]); native helpers whose work grows with
//! their input charge it through [`charge`], so every function a condition can call spends the
//! same budget and is stopped by it. The budget lives in thread-local cells: Rhai counts operations
//! per call frame (a closure called back by `map` restarts from its caller's count).

use std::cell::Cell;
use std::time::{Duration, Instant};

use rhai::{Dynamic, EvalAltResult, Position};

use super::engine::Limits;

/// What a budget is for, as its messages name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    Rule,
    Derived,
    Signal,
}

impl Owner {
    fn name(self) -> &'static str {
        match self {
            Owner::Rule => "rule",
            Owner::Derived => "derived fact",
            Owner::Signal => "signal",
        }
    }
}

/// The deadline in force: the owner's, or the pack's when that comes first.
#[derive(Debug, Clone, Copy)]
struct Deadline {
    at: Instant,
    /// `None`: the pack's budget.
    owner: Option<Owner>,
    allowed: Duration,
}

thread_local! {
    static OPS_LEFT: Cell<u64> = const { Cell::new(u64::MAX) };
    static MAX_OPS: Cell<u64> = const { Cell::new(u64::MAX) };
    static OWNER: Cell<Owner> = const { Cell::new(Owner::Rule) };
    static DEADLINE: Cell<Option<Deadline>> = const { Cell::new(None) };
    static PACK_DEADLINE: Cell<Option<Deadline>> = const { Cell::new(None) };
    static PACK_OPS_LEFT: Cell<u64> = const { Cell::new(u64::MAX) };
    static PACK_MAX_OPS: Cell<u64> = const { Cell::new(u64::MAX) };
}

/// The pack's time budget on one input, in force (capping every budget started) until dropped.
pub(crate) struct PackBudget(());

impl PackBudget {
    pub(crate) fn start(limits: &Limits) -> PackBudget {
        let allowed = limits.max_pack_time;
        PACK_DEADLINE.with(|p| p.set(Some(Deadline { at: Instant::now() + allowed, owner: None, allowed })));
        let ops = if limits.max_pack_operations > 0 { limits.max_pack_operations } else { u64::MAX };
        PACK_OPS_LEFT.with(|o| o.set(ops));
        PACK_MAX_OPS.with(|o| o.set(ops));
        PackBudget(())
    }
}

impl Drop for PackBudget {
    fn drop(&mut self) {
        PACK_DEADLINE.with(|d| d.set(None));
        PACK_OPS_LEFT.with(|o| o.set(u64::MAX));
        PACK_MAX_OPS.with(|o| o.set(u64::MAX));
    }
}

/// Starts a fresh budget of operations and time for `owner`.
pub(crate) fn start(owner: Owner, limits: &Limits) {
    let ops = if limits.max_operations > 0 { limits.max_operations } else { u64::MAX };
    OPS_LEFT.with(|o| o.set(ops));
    MAX_OPS.with(|o| o.set(ops));
    OWNER.with(|o| o.set(owner));
    let own = Deadline { at: Instant::now() + limits.max_time, owner: Some(owner), allowed: limits.max_time };
    let pack = PACK_DEADLINE.with(Cell::get);
    DEADLINE.with(|d| {
        d.set(Some(match pack {
            Some(p) if p.at < own.at => p,
            _ => own,
        }))
    });
}

/// Ends the budget in force on this thread (outside an evaluation: no limit beyond Rhai's own).
pub(crate) fn clear() {
    OPS_LEFT.with(|o| o.set(u64::MAX));
    MAX_OPS.with(|o| o.set(u64::MAX));
    DEADLINE.with(|d| d.set(None));
}

fn format_duration(d: Duration) -> String {
    if d.as_millis() >= 1000 && d.as_millis().is_multiple_of(1000) {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}

/// The message of an exhausted budget: `time budget of rule exceeded (250 ms)`,
/// `time budget of pack exceeded (10 s)`, `operation budget of signal exceeded (500000 operations)`.
fn time_message(d: Deadline) -> String {
    let owner = d.owner.map_or("pack", Owner::name);
    format!("time budget of {owner} exceeded ({})", format_duration(d.allowed))
}

fn ops_message() -> String {
    let owner = OWNER.with(Cell::get).name();
    format!("operation budget of {owner} exceeded ({} operations)", MAX_OPS.with(Cell::get))
}

fn pack_ops_message() -> String {
    format!("operation budget of pack exceeded ({} operations)", PACK_MAX_OPS.with(Cell::get))
}

/// Takes `ops` from a counter; whether it held that many.
fn take(counter: &'static std::thread::LocalKey<Cell<u64>>, ops: u64) -> bool {
    counter.with(|o| {
        let left = o.get();
        o.set(left.saturating_sub(ops));
        left >= ops
    })
}

/// Spends `ops` operations; the message of the budget exhausted, if one is.
/// The clock is read on every call: callers charge for work, not for single steps.
pub(crate) fn spend(ops: u64) -> Result<(), String> {
    // The pack is charged at most what the budget in force had left: a charge past a rule's
    // budget ends that rule, and never drains the pack's budget for the rules after it.
    let own_left = OPS_LEFT.with(Cell::get);
    let fits = take(&OPS_LEFT, ops);
    if !take(&PACK_OPS_LEFT, ops.min(own_left)) {
        return Err(pack_ops_message());
    }
    if !fits {
        return Err(ops_message());
    }
    match DEADLINE.with(Cell::get) {
        Some(d) if Instant::now() > d.at => Err(time_message(d)),
        _ => Ok(()),
    }
}

/// One Rhai operation: the clock is read every 16 operations.
pub(crate) fn step() -> Option<Dynamic> {
    if !take(&PACK_OPS_LEFT, 1) {
        return Some(Dynamic::from(pack_ops_message()));
    }
    let left = OPS_LEFT.with(|o| {
        let left = o.get();
        o.set(left.saturating_sub(1));
        left
    });
    if left == 0 {
        return Some(Dynamic::from(ops_message()));
    }
    if left.is_multiple_of(16) {
        if let Some(d) = DEADLINE.with(Cell::get) {
            if Instant::now() > d.at {
                return Some(Dynamic::from(time_message(d)));
            }
        }
    }
    None
}

/// The message of the budget in force if it is exhausted already (checked before an expression
/// starts, so an expression the fast path answers is stopped too).
pub(crate) fn exhausted() -> Option<String> {
    if PACK_OPS_LEFT.with(Cell::get) == 0 {
        return Some(pack_ops_message());
    }
    if OPS_LEFT.with(Cell::get) == 0 {
        return Some(ops_message());
    }
    DEADLINE.with(Cell::get).filter(|d| Instant::now() > d.at).map(time_message)
}

/// [`spend`] for a native function: charges the work it is about to do (its input size).
pub(crate) fn charge(ops: u64) -> Result<(), Box<EvalAltResult>> {
    spend(ops).map_err(|m| Box::new(EvalAltResult::ErrorTerminated(Dynamic::from(m), Position::NONE)))
}

/// The operations a native helper charges for `bytes` bytes of work: one per 64 (a Rhai
/// operation takes about as long as scanning 64 bytes).
pub(crate) fn cost(bytes: usize) -> u64 {
    (bytes as u64 / 64).max(1)
}

/// The operations a native helper charges for `items` list items of work: one each.
pub(crate) fn per_item(items: usize) -> u64 {
    (items as u64).max(1)
}
