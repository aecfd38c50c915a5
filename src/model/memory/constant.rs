//! `constant`: a fixed number of bytes from the process's start — the trivial law that
//! CONTRIBUTING.md adds step by step. It is compiled only for tests, where it checks that
//! those steps are all it takes: this module and one line of the registry, and a scenario
//! can use `memory: {constant: …}` all the way to an OOM kill.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::input::{Location, Memory, Problem};
use super::{Law, LawYaml, MemoryLaw};
use crate::model::units::Bytes;

/// `constant:` (step 1: the YAML shape).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "Constant")]
pub struct ConstantYaml {
    /// Bytes held from start.
    pub size: Memory,
}

/// A constant size (step 2: the validated parameters).
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct ConstantSpec {
    /// Bytes held from start.
    pub size: Bytes,
}

/// Step 3: validation and build.
impl LawYaml for ConstantYaml {
    type Spec = ConstantSpec;
    fn build(&self) -> Result<ConstantSpec, Problem> {
        if self.size.0 == Bytes(0) {
            return Err(Problem::new(
                Location::UNKNOWN,
                "a constant of 0 bytes",
                "a positive size such as 16Mi",
            ));
        }
        Ok(ConstantSpec { size: self.size.0 })
    }
}

/// Step 4: the state, and its dynamics (none: every `MemoryLaw` default applies).
#[derive(Clone, Debug)]
pub(crate) struct Constant {
    spec: ConstantSpec,
}

impl Law for Constant {
    type Spec = ConstantSpec;
    const NAME: &'static str = "constant";
    fn from_spec(spec: &ConstantSpec) -> Self {
        Constant { spec: *spec }
    }
}

impl MemoryLaw for Constant {
    fn bytes(&self) -> f64 {
        self.spec.size.as_f64()
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::model::Discard;
    use crate::{runner, scenario};

    /// The lib.rs example (32Mi baseline, 1Ki leaked per request at 100 rps, 64Mi
    /// limit) with a `constant` of `constant` bytes taking part of the headroom.
    fn scenario(constant: &str) -> String {
        format!(
            r#"
name: constant
duration: 1h
nodes: [{{name: node-a, capacity: 8Gi}}]
workloads:
  - name: api
    containers:
      - name: api
        resources: {{requests: {{memory: 48Mi}}, limits: {{memory: 64Mi}}}}
        memory:
          baseline: {{size: 32Mi}}
          leak: {{perRequest: 1Ki}}
          constant: {{size: {constant}}}
traffic:
  - service: api
    rps: 100
"#
        )
    }

    #[test]
    fn a_constant_law_added_through_the_registry_brings_the_oom_forward() {
        let s = scenario::parse(Path::new("constant.yaml"), &scenario("16Mi")).unwrap();
        let (outcome, _) = runner::run_one(&s, 0, 0, Discard);
        let api = outcome.container("api", "api").unwrap();
        // 16Mi of headroom left for the leak: 16 384 requests, 163.84 s on average.
        let first = api.first_oom.unwrap().as_secs_f64();
        assert!((155.0..173.0).contains(&first), "{first}");
    }

    #[test]
    fn a_constant_law_checks_its_block() {
        let err = scenario::parse(Path::new("constant.yaml"), &scenario("0")).unwrap_err();
        let text = format!("{err:?}");
        assert!(text.contains("a constant of 0 bytes"), "{text}");
    }
}
