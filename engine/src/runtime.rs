//! Running one expression: the fast path (`crate::fast`) when it can answer, else Rhai, with
//! Rhai's per-call state kept across the expressions of one evaluation.

use rhai::{Dynamic, Engine};

/// Rhai's per-call state (operation count, function resolution cache), kept for every
/// expression of one evaluation instead of being rebuilt for each, as
/// [`Engine::eval_ast_with_scope`] does.
pub(crate) struct Runtime {
    global: rhai::GlobalRuntimeState,
    caches: rhai::Caches,
}

impl Runtime {
    pub(crate) fn new(engine: &Engine) -> Self {
        Runtime { global: engine.new_global_runtime_state(), caches: rhai::Caches::new() }
    }

    /// Evaluates `ast` with `scope`, exactly as [`Engine::eval_ast_with_scope`] would.
    pub(crate) fn eval(
        &mut self,
        engine: &Engine,
        scope: &mut rhai::Scope<'_>,
        ast: &rhai::AST,
    ) -> Result<Dynamic, Box<rhai::EvalAltResult>> {
        // A budget spent by an earlier expression stops this one before it starts (the fast
        // path takes no operations).
        if let Some(message) = crate::sandbox::budget::exhausted() {
            return Err(Box::new(rhai::EvalAltResult::ErrorTerminated(message.into(), rhai::Position::NONE)));
        }
        if let Some(value) = crate::fast::eval(ast, scope) {
            return Ok(value);
        }
        if ast.has_functions() {
            // Closures are functions of their AST, found through Rhai's per-call state: let
            // Rhai set that up (rare: most conditions have no closure).
            return engine.eval_ast_with_scope(scope, ast);
        }
        // Rhai's operation count is per call; the ones before belong to other expressions.
        self.global.num_operations = 0;
        #[allow(deprecated)] // the only public entry point taking a reused state (`internals`)
        engine.eval_statements_raw(&mut self.global, &mut self.caches, scope, ast.statements())
    }
}
