//! Malformed data-tier scenarios: the file, line and column, and the form expected.

use crate::bad_input::check_message;

/// `meshmem check` on `yaml`: its message (exit code 2 asserted).
fn stderr_of(yaml: &str) -> String {
    check_message(yaml.as_bytes())
}

fn scenario(redis: &str, call: &str, timeline: &str) -> String {
    format!(
        r#"name: bad
duration: 1h
nodes: [{{name: n, capacity: 8Gi}}]
workloads:
  - name: web
    containers: [{{name: web}}]
    calls:
      - {call}
  - name: cache
    redis: {redis}
    containers: [{{name: redis}}]
databases:
  - {{name: db, servers: 4, serviceTime: 10ms}}
{timeline}"#
    )
}

const CALL: &str =
    "{redis: cache, keys: {universe: 1000, valueSize: 100}, onMiss: {database: db, timeout: 1s}}";

#[test]
fn a_kubernetes_quantity_is_not_a_redis_memory_size() {
    let err = stderr_of(&scenario("{maxmemory: 2Gi}", CALL, ""));
    assert!(err.contains("bad.yaml:10:"), "{err}");
    assert!(err.contains("`2Gi` is not a Redis memory size"), "{err}");
    assert!(err.contains("kb/mb/gb"), "{err}");
}

#[test]
fn an_unknown_policy_lists_the_eight() {
    let err = stderr_of(&scenario("{maxmemoryPolicy: lru}", CALL, ""));
    assert!(err.contains("bad.yaml:10:"), "{err}");
    assert!(
        err.contains("allkeys-lru") && err.contains("volatile-ttl"),
        "{err}"
    );
}

#[test]
fn a_call_to_a_workload_that_does_not_run_redis_is_refused() {
    let call = "{redis: web, keys: {universe: 1000, valueSize: 100}}";
    let err = stderr_of(&scenario("{}", call, ""));
    assert!(err.contains("bad.yaml:8:"), "{err}");
    assert!(err.contains("does not run Redis"), "{err}");
}

#[test]
fn a_missing_database_names_the_ones_there_are() {
    let call = "{redis: cache, onMiss: {database: postgres, timeout: 1s}}";
    let err = stderr_of(&scenario("{}", call, ""));
    assert!(err.contains("no database named `postgres`"), "{err}");
    assert!(err.contains("one of: db"), "{err}");
}

#[test]
fn unknown_keys_in_a_call_are_errors() {
    let call = "{redis: cache, fanout: 2}";
    let err = stderr_of(&scenario("{}", call, ""));
    assert!(err.contains("bad.yaml:8:"), "{err}");
    assert!(err.contains("fanout"), "{err}");
}

#[test]
fn dns_settings_without_coredns_are_refused() {
    let yaml = "name: bad\nduration: 1h\nnodes: [{name: n, capacity: 8Gi}]\ndns: {ndots: 5}\nworkloads:\n  - name: web\n    containers: [{name: web}]\n";
    let err = stderr_of(yaml);
    assert!(err.contains("no workload runs CoreDNS"), "{err}");
}

#[test]
fn config_set_on_a_workload_without_redis_is_refused() {
    let tl = "timeline:\n  - {at: 5m, redisConfigSet: {workload: web, maxmemory: 2gb}}\n";
    let err = stderr_of(&scenario("{}", CALL, tl));
    assert!(err.contains("bad.yaml:15:"), "{err}");
    assert!(err.contains("does not run Redis"), "{err}");
}
