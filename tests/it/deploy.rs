//! The shipped Kubernetes manifests stay true: the Indexed Job's slice count matches its
//! completions, every slice writes its own folder, and the scenario it carries is valid.

use serde_json::Value;

fn documents(path: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(path).expect("manifest");
    text.split("\n---\n")
        .map(|doc| serde_saphyr::from_str::<Value>(doc).unwrap_or_else(|e| panic!("{path}: {e}")))
        .collect()
}

fn kind<'a>(docs: &'a [Value], kind: &str) -> &'a Value {
    docs.iter()
        .find(|d| d["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind}"))
}

#[test]
fn the_sweep_job_runs_one_slice_per_completion_index() {
    let docs = documents("deploy/kubernetes/sweep-job.yaml");
    let job = kind(&docs, "Job");
    assert_eq!(job["spec"]["completionMode"], "Indexed");
    let completions = job["spec"]["completions"].as_u64().unwrap();
    let container = &job["spec"]["template"]["spec"]["containers"][0];
    let shards: u64 = container["env"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "SHARDS")
        .and_then(|e| e["value"].as_str())
        .and_then(|v| v.parse().ok())
        .expect("SHARDS env");
    assert_eq!(shards, completions, "SHARDS must equal spec.completions");
    let args = container["args"][0].as_str().unwrap();
    assert!(
        args.contains(r#"--shard "${JOB_COMPLETION_INDEX}/${SHARDS}""#),
        "{args}"
    );
    assert!(
        args.contains(r#"--out "/results/shard-${JOB_COMPLETION_INDEX}""#),
        "{args}"
    );
    assert_eq!(
        job["spec"]["template"]["spec"]["restartPolicy"], "Never",
        "a failed slice is retried by the Job, per index"
    );

    let merge = documents("deploy/kubernetes/merge-job.yaml");
    let merge_args = kind(&merge, "Job")["spec"]["template"]["spec"]["containers"][0]["args"][0]
        .as_str()
        .unwrap();
    assert!(
        merge_args.contains("meshmem merge /results/shard-*"),
        "{merge_args}"
    );
}

#[test]
fn the_scenario_the_sweep_job_carries_is_valid() {
    let docs = documents("deploy/kubernetes/sweep-job.yaml");
    let text = kind(&docs, "ConfigMap")["data"]["scenario.yaml"]
        .as_str()
        .unwrap();
    let s = meshmem::scenario::parse(std::path::Path::new("scenario.yaml"), text)
        .unwrap_or_else(|e| panic!("{e}"));
    // 4 limits × 3 sampling rates, after the baseline.
    assert_eq!(
        s.variants.len(),
        1 + 12,
        "{:?}",
        s.variants.iter().map(|v| &v.name).collect::<Vec<_>>()
    );
}
