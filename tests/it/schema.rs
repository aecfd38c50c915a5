//! The scenario format described from its types: `meshmem schema` validates every
//! shipped scenario, the committed reference and schema are what the generator writes,
//! every key a scenario uses is documented, and `meshmem explain` answers like
//! `kubectl explain`.

use std::path::Path;

use assert_cmd::Command;
use meshmem::scenario::schema;
use serde_json::Value;

fn meshmem() -> Command {
    Command::cargo_bin("meshmem").unwrap()
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every shipped scenario, as (file name, JSON value of its YAML).
fn shipped() -> Vec<(String, Value)> {
    let mut files: Vec<_> = std::fs::read_dir(root().join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let value: Value = serde_saphyr::from_str(&text).unwrap();
            (p.file_name().unwrap().to_string_lossy().to_string(), value)
        })
        .collect()
}

/// The scenario README.md annotates, as JSON.
fn readme_example() -> Value {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let start = readme.find("```yaml\nname: trace-sampling-leak").unwrap() + 8;
    let end = start + readme[start..].find("```").unwrap();
    serde_saphyr::from_str(&readme[start..end]).unwrap()
}

#[test]
fn the_schema_validates_every_shipped_scenario() {
    let out = meshmem().arg("schema").assert().success();
    let printed: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let validator = jsonschema::validator_for(&printed).unwrap();
    for (name, value) in shipped()
        .into_iter()
        .chain([("README".into(), readme_example())])
    {
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
    }
}

#[test]
fn the_schema_rejects_an_unknown_key_and_a_unitless_duration() {
    let validator =
        jsonschema::validator_for(&serde_json::to_value(schema::schema()).unwrap()).unwrap();
    let (_, mut value) = shipped().remove(0);
    value["replicaz"] = 3.into();
    assert!(!validator.is_valid(&value), "an unknown key passed");
    let (_, mut value) = shipped().remove(0);
    value["duration"] = "30".into();
    assert!(
        !validator.is_valid(&value),
        "a duration without a unit passed"
    );
}

#[test]
fn the_committed_reference_and_schema_are_what_the_generator_writes() {
    let md = std::fs::read_to_string(root().join("docs/scenario-format.md")).unwrap_or_default();
    let json =
        std::fs::read_to_string(root().join("docs/scenario.schema.json")).unwrap_or_default();
    if std::env::var_os("MESHMEM_REGENERATE").is_some() {
        std::fs::write(root().join("docs/scenario-format.md"), schema::markdown()).unwrap();
        std::fs::write(
            root().join("docs/scenario.schema.json"),
            schema::schema_json(),
        )
        .unwrap();
        return;
    }
    assert!(
        md == schema::markdown(),
        "docs/scenario-format.md is stale: run `meshmem schema --format markdown > docs/scenario-format.md`"
    );
    assert!(
        json == schema::schema_json(),
        "docs/scenario.schema.json is stale: run `meshmem schema > docs/scenario.schema.json`"
    );
}

/// Key paths a scenario uses (list items skipped; the keys of maps such as
/// `annotations` or `set` are values, not format keys).
fn paths(v: &Value, prefix: &str, out: &mut Vec<String>) {
    match v {
        Value::Array(items) => items.iter().for_each(|i| paths(i, prefix, out)),
        Value::Object(map) => {
            for (k, x) in map {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                out.push(p.clone());
                let text = schema::explain(&p).unwrap_or_default();
                if !text.contains("TYPE:     map of") && !text.contains("TYPE:     any") {
                    paths(x, &p, out);
                }
            }
        }
        _ => {}
    }
}

#[test]
fn every_key_the_shipped_scenarios_use_is_in_the_reference() {
    let md = schema::markdown();
    let mut all = Vec::new();
    for (_, v) in shipped()
        .into_iter()
        .chain([("README".into(), readme_example())])
    {
        paths(&v, "", &mut all);
    }
    all.sort();
    all.dedup();
    assert!(all.len() > 80, "only {} keys found", all.len());
    for p in &all {
        assert!(schema::explain(p).is_ok(), "`{p}` is not documented");
        let name = p.rsplit('.').next().unwrap();
        assert!(
            md.contains(&format!("| `{name}` |")),
            "`{p}` is not in the reference"
        );
    }
    // The keys the issue found documented nowhere.
    for p in [
        "workloads.containers.memory.cache",
        "workloads.containers.memory.batch",
        "workloads.containers.jvm",
        "workloads.containers.readinessDelay",
        "kubelet",
        "controlPlane",
    ] {
        assert!(schema::explain(p).is_ok(), "`{p}` is not documented");
    }
}

#[test]
fn explain_prints_type_default_source_and_fields() {
    let out = meshmem()
        .args(["explain", "workloads.containers.jvm"])
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(
        text.contains("KEY:      workloads.containers.jvm"),
        "{text}"
    );
    assert!(
        text.contains("maxRamPercentage") && text.contains("nonHeap"),
        "{text}"
    );
    let out = meshmem()
        .args(["explain", "kubelet.evictionHard.memory.available"])
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(text.contains("DEFAULT:  100Mi"), "{text}");
    assert!(
        text.contains("reference.md#kubelet-node-pressure-eviction"),
        "{text}"
    );
    assert!(text.contains("bare number is bytes"), "{text}");
}

#[test]
fn explain_of_an_unknown_key_lists_the_keys_there() {
    meshmem()
        .args(["explain", "workloads.containerz"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("containers"));
}

#[test]
fn every_default_in_the_table_names_a_real_key() {
    for d in schema::defaults::DEFAULTS {
        assert!(
            schema::explain(d.path).is_ok(),
            "default for unknown key `{}`",
            d.path
        );
    }
}

#[test]
fn completions_cover_every_command() {
    for shell in ["bash", "zsh", "fish"] {
        let out = meshmem().args(["completions", shell]).assert().success();
        let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
        for cmd in [
            "run", "check", "plan", "merge", "import", "schema", "explain",
        ] {
            assert!(text.contains(cmd), "{shell}: no `{cmd}`");
        }
    }
}

#[test]
fn a_mistyped_command_gets_a_suggestion() {
    meshmem()
        .args(["chek", "scenarios/"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "did you mean the command `check`",
        ));
}
