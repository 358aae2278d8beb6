//! Building the sandboxed engine: Rhai from nothing plus the pure packages, its limits, and
//! the budget checked on every operation. The functions a condition may call are registered by
//! [`super::functions`].

use std::time::Duration;

use rhai::packages::{
    ArithmeticPackage, BasicArrayPackage, BasicBlobPackage, BasicMapPackage, BasicMathPackage,
    BasicStringPackage, BitFieldPackage, LogicPackage, MoreStringPackage, Package,
};
use rhai::Engine;

use super::budget;

/// Resource limits: per rule, derived fact and signal, and per pack, on one input.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Operations one rule, derived fact or signal may spend on one input (0: no limit).
    pub max_operations: u64,
    pub max_call_levels: usize,
    pub max_expr_depth: usize,
    pub max_string_size: usize,
    pub max_array_size: usize,
    pub max_map_size: usize,
    /// Time one rule, derived fact or signal may take on one input (a rule's covers its
    /// requirements, applicability, condition and resolution; a signal's every `where` call).
    pub max_time: Duration,
    /// Operations one pack may spend on one input, all together (0: no limit). Operations are
    /// counted the same on every machine, so on a pack that spends its budget this limit, not
    /// the time budget, decides the outcome whenever it comes first.
    pub max_pack_operations: u64,
    /// Time one pack may take on one input, all its rules, derived facts and signals together.
    pub max_pack_time: Duration,
    /// Memory one pack may build up on one input: derived facts, kept signal matches and
    /// resolutions together, as [`super::memory`] accounts it.
    pub max_pack_memory: usize,
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
            max_pack_operations: 20_000_000,
            max_pack_time: Duration::from_secs(10),
            max_pack_memory: 64 << 20,
        }
    }
}

/// Builds the sandboxed engine with the curated functions registered.
///
/// Rhai's packages are taken one by one, not as its standard package: `LanguageCorePackage`
/// (`sleep`, `exit`, `parse_json`, tags), `BasicTimePackage` (`timestamp`, `elapsed`),
/// `BasicIteratorPackage` (ranges, which only `for` could use) and `BasicFnPackage` are left
/// out; `print` and `debug` do not parse. What is kept is pure; the functions whose output can
/// outgrow their input are replaced by bounded ones in [`super::functions`].
pub fn build_engine(limits: &Limits) -> Engine {
    let mut engine = Engine::new_raw();
    for module in [
        ArithmeticPackage::new().as_shared_module(),
        LogicPackage::new().as_shared_module(),
        BasicMathPackage::new().as_shared_module(),
        BitFieldPackage::new().as_shared_module(),
        BasicStringPackage::new().as_shared_module(),
        MoreStringPackage::new().as_shared_module(),
        BasicArrayPackage::new().as_shared_module(),
        BasicMapPackage::new().as_shared_module(),
        BasicBlobPackage::new().as_shared_module(),
    ] {
        engine.register_global_module(module);
    }
    engine
        .disable_symbol("eval")
        .disable_symbol("print")
        .disable_symbol("debug")
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
    engine.on_progress(|_| budget::step());
    super::functions::register(&mut engine, limits);
    engine
}
