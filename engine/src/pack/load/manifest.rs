//! `[pack]`: the manifest in `pack.toml`, and the retired rule IDs the rules are checked against.

use std::collections::BTreeSet;

use toml::de::DeTable;
use toml::Spanned;

use super::super::diagnostic::Code;
use super::super::Manifest;
use super::context::Cx;
use super::PACK_KEYS;
use crate::pack::format::{is_pack_id, PACK_ID_RULE};

impl Cx<'_> {
    pub(super) fn manifest(
        &mut self,
        root: &DeTable<'_>,
        engine_version: &semver::Version,
    ) -> Option<Manifest> {
        let Some(p) = root.get("pack") else {
            self.error(Code::MissingKey, "pack.toml has no [pack] table".into(), 0..0, "expected here", None);
            return None;
        };
        let Some(t) = p.get_ref().as_table() else {
            self.wrong_type(p, "a table");
            return None;
        };
        self.check_keys(t, PACK_KEYS);
        let at = p.span();
        let id = self.required_string(t, "id", "[pack]", at.clone());
        if let Some((id, span)) = &id {
            if !is_pack_id(id) {
                self.error(
                    Code::BadValue,
                    format!("pack id `{id}` is not valid"),
                    span.clone(),
                    "invalid",
                    Some(format!("a pack ID is {PACK_ID_RULE}")),
                );
            }
        }
        let version = self.required_string(t, "version", "[pack]", at.clone()).and_then(|(v, span)| {
            semver::Version::parse(&v)
                .map_err(|e| {
                    self.error(
                        Code::BadValue,
                        format!("version `{v}` is not semver: {e}"),
                        span,
                        "not semver",
                        None,
                    )
                })
                .ok()
        });
        let engine = self.required_string(t, "engine", "[pack]", at.clone()).and_then(|(v, span)| {
            match semver::VersionReq::parse(&v) {
                Ok(req) => {
                    if !req.matches(engine_version) {
                        self.error(
                            Code::EngineVersion,
                            format!("this pack needs triage {v}, but this is triage {engine_version}"),
                            span,
                            "requirement not met",
                            Some(crate::pack::upgrade::engine_advice(&req, engine_version)),
                        );
                    }
                    Some(req)
                }
                Err(e) => {
                    self.error(
                        Code::BadValue,
                        format!("engine requirement `{v}` is not valid: {e}"),
                        span,
                        "invalid",
                        None,
                    );
                    None
                }
            }
        });
        let title = self.required_string(t, "title", "[pack]", at);
        let source = self.string(t, "source").map(|s| s.0);
        let description = self.string(t, "description").map(|s| s.0);
        let retired = self.string_list(t, "retired").into_iter().map(|s| s.0).collect();
        Some(Manifest {
            id: id?.0,
            version: version?,
            engine: engine?,
            title: title?.0,
            source,
            description,
            retired,
        })
    }
}

/// `[pack] retired`, read even when the rest of the manifest is broken.
pub(super) fn retired(root: &Spanned<DeTable<'_>>) -> BTreeSet<String> {
    root.get_ref()
        .get("pack")
        .and_then(|p| p.get_ref().as_table())
        .and_then(|t| t.get("retired"))
        .and_then(|r| r.get_ref().as_array())
        .map(|a| a.iter().filter_map(|v| v.get_ref().as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

/// `[pack] applies_if`, compiled with every derived fact in scope.
pub(super) fn applies_if(
    cx: &mut Cx<'_>,
    engine: &rhai::Engine,
    root: &Spanned<DeTable<'_>>,
    scope: &rhai::Scope<'_>,
    derived: &[super::super::Derived],
    signals: &[super::super::Signal],
) -> Option<super::super::Expr> {
    cx.file = 0;
    let v = root.get_ref().get("pack")?.get_ref().as_table()?.get("applies_if")?;
    let e = cx.expr(engine, scope, v, derived, "pack applicability condition")?;
    cx.check_signal_refs(&e, signals);
    Some(e)
}
