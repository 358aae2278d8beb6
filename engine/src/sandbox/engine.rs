//! Building the sandboxed engine: Rhai from nothing plus the standard package, its limits, and
//! the budget checked on every operation. The functions a condition may call are registered by
//! [`super::functions`].

use std::cell::Cell;
use std::time::{Duration, Instant};

use rhai::packages::{Package, StandardPackage};
use rhai::{Dynamic, Engine};

use super::state::{DEADLINE, OPS_LEFT};

/// Resource limits for one evaluation of one expression.
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_operations: u64,
    pub max_call_levels: usize,
    pub max_expr_depth: usize,
    pub max_string_size: usize,
    pub max_array_size: usize,
    pub max_map_size: usize,
    pub max_time: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_operations: 500_000,
            max_call_levels: 16,
            max_expr_depth: 64,
            max_string_size: 1 << 20,
            max_array_size: 1 << 20,
            max_map_size: 1 << 20,
            max_time: Duration::from_millis(250),
        }
    }
}

/// Builds the sandboxed engine with the helpers registered.
pub fn build_engine(limits: &Limits) -> Engine {
    let mut engine = Engine::new_raw();
    engine.register_global_module(StandardPackage::new().as_shared_module());
    engine
        .disable_symbol("eval")
        .on_print(|_| {})
        .on_debug(|_, _, _| {})
        .set_strict_variables(true)
        .set_max_operations(limits.max_operations)
        .set_max_call_levels(limits.max_call_levels)
        .set_max_expr_depths(limits.max_expr_depth, limits.max_expr_depth)
        .set_max_string_size(limits.max_string_size)
        .set_max_array_size(limits.max_array_size)
        .set_max_map_size(limits.max_map_size)
        .set_max_variables(256)
        .set_max_functions(64);
    // Rhai counts operations per call frame (a closure called back by `map` starts from its
    // caller's count), so the budget and the deadline are kept here, per expression, and
    // checked on every operation.
    let max_ops = limits.max_operations;
    engine.on_progress(move |_| {
        let left = OPS_LEFT.with(|o| {
            let left = o.get();
            o.set(left.saturating_sub(1));
            left
        });
        if left == 0 {
            return Some(Dynamic::from(format!("operation limit exceeded ({max_ops} operations)")));
        }
        if left.is_multiple_of(128) && DEADLINE.with(Cell::get).is_some_and(|d| Instant::now() > d) {
            return Some(Dynamic::from("time limit exceeded"));
        }
        None
    });
    super::functions::register(&mut engine);
    engine
}
